# SimCLR twin of grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py: same data, augmentations,
# networks, schedule and budget; only the algorithm differs (tests/test_configs.py checks it).
_base_ = [
    '../_base_/models/simclr_resnet50.py',
    '../_base_/datasets/dubai_aerial_pretrain_128.py',
    '../_base_/schedules/lars_coslr_cpu.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=dict(depth=18), neck=dict(in_channels=512, hid_channels=512))
default_hooks = dict(checkpoint=dict(interval=5))
