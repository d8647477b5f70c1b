# BYOL baseline (mmpretrain's BYOL) for grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py:
# same data, augmentations (one view pipeline for both views, as every method here), backbone,
# batch, epochs and LARS schedule. Model follows mmpretrain's byol_resnet50_16xb256-coslr-200e_in1k.py.
_base_ = ['../grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
model = dict(
    _delete_=True,
    type='BYOL',
    base_momentum=0.01,
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='SyncBN'),
                  zero_init_residual=True),
    neck=dict(type='NonLinearNeck', in_channels=512, hid_channels=4096, out_channels=256,
              num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        predictor=dict(type='NonLinearNeck', in_channels=256, hid_channels=4096,
                       out_channels=256, num_layers=2, with_bias=True, with_last_bn=False,
                       with_avg_pool=False),
        loss=dict(type='CosineSimilarityLoss')))
custom_hooks = []
