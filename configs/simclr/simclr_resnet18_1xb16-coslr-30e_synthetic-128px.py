# SimCLR twin of grass_resnet18_1xb16-coslr-30e_synthetic-128px.py (the demo's pretraining):
# same data, augmentations, networks and schedule; only the algorithm differs.
_base_ = [
    '../_base_/models/simclr_resnet18.py',
    '../_base_/datasets/rs_pretrain_128.py',
    '../_base_/schedules/lars_coslr_30e.py',
    '../_base_/default_runtime.py',
    '../_base_/probes/synthetic_probe.py',
]
train_dataloader = dict(
    batch_size=16, num_workers=2, dataset=dict(data_root='data/synthetic_aerial/img_dir/train'))
default_hooks = dict(checkpoint=dict(interval=10))
