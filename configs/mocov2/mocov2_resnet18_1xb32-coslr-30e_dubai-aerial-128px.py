# MoCo v2 baseline for grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py: same data,
# augmentations, backbone, batch and epochs. Model and optimiser follow mmpretrain's
# mocov2_resnet50_8xb32-coslr-200e_in1k.py (SGD lr 0.03, wd 1e-4, temperature 0.2), with the
# queue cut to 1024 keys: ~4 epochs of this small set, so the queue holds recent keys.
_base_ = [
    '../_base_/models/mocov2_resnet18.py',
    '../_base_/datasets/dubai_aerial_pretrain_128.py',
    '../_base_/schedules/sgd_coslr_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(queue_len=1024)
default_hooks = dict(checkpoint=dict(interval=5))
