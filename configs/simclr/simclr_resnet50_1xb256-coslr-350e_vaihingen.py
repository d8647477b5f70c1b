# SimCLR baseline for grass_resnet50_1xb256-coslr-350e_vaihingen.py: same data, augmentations, schedule and budget; only the
# algorithm differs.
_base_ = ['../grass/grass_resnet50_1xb256-coslr-350e_vaihingen.py']
model = dict(
    _delete_=True,
    type='SimCLR',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    head={{_base_.model.head}})
custom_hooks = []
