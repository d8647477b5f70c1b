# SimCLR baseline for grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py: same data,
# augmentations, schedule and budget.
_base_ = ['../grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
model = dict(
    _delete_=True,
    type='SimCLR',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    head={{_base_.model.head}})
custom_hooks = []
