# SimCLR twin of grass_resnet50_1xb256-coslr-350e_loveda-urban.py: only the algorithm differs.
_base_ = [
    '../_base_/models/simclr_resnet50.py',
    '../_base_/datasets/rs_pretrain_224.py',
    '../_base_/schedules/lars_coslr_350e.py',
    '../_base_/default_runtime.py',
    '../_base_/probes/loveda_probe.py',
]
# Unlabelled patches cut from the loveda-urban *training* tiles only (docs/en/user_guides/data.md).
train_dataloader = dict(dataset=dict(data_root='data/loveDA/pretrain_patches/urban/'))
