# DenseCL baseline (mmpretrain's DenseCL) for grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py:
# same data, augmentations, backbone, batch and epochs. Model and optimiser follow mmpretrain's
# densecl_resnet50_8xb32-coslr-200e_in1k.py (SGD lr 0.03, wd 1e-4, loss_lambda 0.5), with the
# queue cut to 1024 keys as in the MoCo v2 twin.
_base_ = ['../grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
model = dict(
    _delete_=True,
    type='DenseCL',
    queue_len=1024,
    feat_dim=128,
    momentum=0.001,
    loss_lambda=0.5,
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='SyncBN'),
                  zero_init_residual=True),
    neck=dict(type='DenseCLNeck', in_channels=512, hid_channels=2048, out_channels=128,
              num_grid=None),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
find_unused_parameters = True
custom_hooks = []
# The same warm-up and cosine shape, decaying to 1 % of this peak.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.125, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=27, eta_min=3e-4, by_epoch=True, begin=3, end=30,
         convert_to_iter_based=True),
]
