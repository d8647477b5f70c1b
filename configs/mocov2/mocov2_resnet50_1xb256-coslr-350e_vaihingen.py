# MoCo v2 baseline for grass_resnet50_1xb256-coslr-350e_vaihingen.py: same data, augmentations,
# backbone, batch and epochs; mmpretrain's model and SGD optimiser.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/rs_pretrain_224.py',
    '../_base_/schedules/sgd_coslr_350e.py',
    '../_base_/default_runtime.py',
    '../_base_/probes/vaihingen_probe.py',
]
# Unlabelled patches cut from the vaihingen *training* tiles only (docs/en/user_guides/data.md).
train_dataloader = dict(dataset=dict(data_root='data/vaihingen/pretrain_patches/'))
