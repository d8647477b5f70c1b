# CPU fine-tuning schedule of benchmark v2: SGD lr 0.01, a 100-iteration linear warm-up, constant
# until iteration 900, then linear decay to 0 by 1200. The constant phase is there so the
# training loss can flatten before the learning rate decays (the v1 schedule decayed from the
# first step and stopped at loss ~1.0). Validation every 300 iterations gives the curve.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005),
    clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=100, by_epoch=False),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=900, end=1200, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1200, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1200, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
