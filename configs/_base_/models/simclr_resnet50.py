# mmpretrain's SimCLR at ResNet-50 with the GraSS paper's setting (T = 0.5). The projection head
# is mmpretrain's NonLinearNeck (Linear-BN-ReLU-Linear-BN), the standard head; the authors'
# release silently drops the ReLU (docs/en/advanced_guides/method.md), a variant not offered.
model = dict(
    type='SimCLR',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='SyncBN'),  # plain BN when not distributed
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_layers=2,
        with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.5))
