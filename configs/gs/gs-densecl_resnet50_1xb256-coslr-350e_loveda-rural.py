# GS on DenseCL at the reference size: its base config (below) with gradient-guided sampling
# after the warm-up of ../grass/grass_resnet50_1xb256-coslr-350e_loveda-rural.py (the first 10 % of
# epochs). Everything else is the base method's.
_base_ = ['../densecl/densecl_resnet50_1xb256-coslr-350e_loveda-rural.py']
model = dict(
    type='GSDenseCL',
    guide='efficient',
    sampler=dict(type='GradientBoxSampler', threshold_ratio=0.5, crop_interpolation='nearest'))
custom_hooks = [
    dict(type='GraSSStageHook', warmup_epochs=35),
    dict(type='GraSSVisualizationHook', interval=2000),
    _base_.dense_probe,
]
