# The demo's pretraining: ResNet-18 GraSS on the SYNTHETIC aerial set (tools/demo.py writes it;
# or: python -c "from grass_mm.datasets import generate_synthetic_aerial as g;
# g('data/synthetic_aerial')"), 128 px views, 30 short epochs, GS after 3.
_base_ = [
    '../_base_/models/grass_resnet18.py',
    '../_base_/datasets/rs_pretrain_128.py',
    '../_base_/schedules/lars_coslr_30e.py',
    '../_base_/default_runtime.py',
    '../_base_/probes/synthetic_probe.py',
]
train_dataloader = dict(
    batch_size=16, num_workers=2, dataset=dict(data_root='data/synthetic_aerial/img_dir/train'))
custom_hooks = [
    dict(type='GraSSStageHook', warmup_epochs=3),
    dict(type='GraSSVisualizationHook', interval=50),
    _base_.dense_probe,
]
default_hooks = dict(checkpoint=dict(interval=10))
