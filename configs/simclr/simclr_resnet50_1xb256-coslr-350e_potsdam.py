# SimCLR twin of grass_resnet50_1xb256-coslr-350e_potsdam.py: only the algorithm differs.
_base_ = [
    '../_base_/models/simclr_resnet50.py',
    '../_base_/datasets/rs_pretrain_224.py',
    '../_base_/schedules/lars_coslr_350e.py',
    '../_base_/default_runtime.py',
    '../_base_/probes/potsdam_probe.py',
]
# Unlabelled patches cut from the potsdam *training* tiles only (docs/en/user_guides/data.md).
train_dataloader = dict(dataset=dict(data_root='data/potsdam/pretrain_patches/'))
