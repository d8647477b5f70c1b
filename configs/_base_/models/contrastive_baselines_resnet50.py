# mmpretrain's MoCo v2, BYOL and DenseCL at ResNet-50 (their own configs' models and
# optimisers), as variables that a GraSS config's twin swaps in whole:
#   _base_ = ['../grass/grass_...py', '../_base_/models/contrastive_baselines_resnet50.py']
#   model = {{_base_.mocov2_model}}
#   optim_wrapper = {{_base_.mocov2_optim_wrapper}}
# The data preprocessor is the GraSS configs' (same mean/std, RGB).
_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
                     std=[58.395, 57.12, 57.375], to_rgb=True)
_backbone = dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN'), zero_init_residual=True)
mocov2_model = dict(
    _delete_=True,
    type='MoCo',
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,
    data_preprocessor=_preprocessor,
    backbone=_backbone,
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128,
              with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))
densecl_model = dict(
    _delete_=True,
    type='DenseCL',
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,
    loss_lambda=0.5,
    data_preprocessor=_preprocessor,
    backbone=_backbone,
    neck=dict(type='DenseCLNeck', in_channels=2048, hid_channels=2048, out_channels=128,
              num_grid=None),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))
byol_model = dict(
    _delete_=True,
    type='BYOL',
    base_momentum=0.01,
    data_preprocessor=_preprocessor,
    backbone=_backbone,
    neck=dict(type='NonLinearNeck', in_channels=2048, hid_channels=4096, out_channels=256,
              num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        predictor=dict(type='NonLinearNeck', in_channels=256, hid_channels=4096,
                       out_channels=256, num_layers=2, with_bias=True, with_last_bn=False,
                       with_avg_pool=False),
        loss=dict(type='CosineSimilarityLoss')))
# MoCo v2 / DenseCL: SGD 0.03 for 256 images (mmpretrain's imagenet_sgd_coslr_200e); BYOL keeps
# the GraSS configs' LARS.
sgd_optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
# The GraSS 350-epoch schedule's shape (10 % linear warm-up, cosine) decaying to 1 % of 0.03.
sgd_param_scheduler = [
    dict(type='LinearLR', start_factor=0.125, by_epoch=True, begin=0, end=35,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=315, eta_min=3e-4, by_epoch=True, begin=35, end=350,
         convert_to_iter_based=True),
]
