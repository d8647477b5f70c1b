# SimCLR twin of grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py: same data, augmentations,
# networks, schedule and budget; only the algorithm differs (tests/test_configs.py checks it).
_base_ = [
    '../_base_/models/simclr_resnet18.py',
    '../_base_/datasets/dubai_aerial_pretrain_128.py',
    '../_base_/schedules/lars_coslr_30e.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=5))
