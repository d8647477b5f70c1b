# CPU-sized GraSS on real imagery: ResNet-18, 128 px views, 30 epochs (240 steps).
_base_ = [
    '../_base_/models/grass_resnet18.py',
    '../_base_/datasets/dubai_aerial_pretrain_128.py',
    '../_base_/schedules/lars_coslr_30e.py',
    '../_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='GraSSStageHook', warmup_epochs=3),
    dict(type='GraSSVisualizationHook', interval=50),
    _base_.dense_probe,
]
default_hooks = dict(checkpoint=dict(interval=5))
