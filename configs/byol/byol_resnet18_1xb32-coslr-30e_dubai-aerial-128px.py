# BYOL baseline for grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py: same data,
# augmentations (one view pipeline for both views, as every method here), backbone, batch, epochs
# and LARS schedule. Model follows mmpretrain's byol_resnet50_16xb256-coslr-200e_in1k.py.
_base_ = [
    '../_base_/models/byol_resnet18.py',
    '../_base_/datasets/dubai_aerial_pretrain_128.py',
    '../_base_/schedules/lars_coslr_30e.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=5))
