# DenseCL baseline for grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py: same data,
# augmentations, backbone, batch and epochs. Model and optimiser follow mmpretrain's
# densecl_resnet50_8xb32-coslr-200e_in1k.py, with the queue cut to 1024 keys (as MoCo v2 here).
_base_ = [
    '../_base_/models/densecl_resnet18.py',
    '../_base_/datasets/dubai_aerial_pretrain_128.py',
    '../_base_/schedules/sgd_coslr_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(queue_len=1024)
find_unused_parameters = True
default_hooks = dict(checkpoint=dict(interval=5))
