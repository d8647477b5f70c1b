# mmpretrain runtime, with grass_mm imported so its components are registered.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['grass_mm'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Fail when a load_from/resume checkpoint does not fit the model (mmengine only logs it),
    # and stop at the first NaN/inf loss before that state is saved.
    checkpoint_match=dict(type='CheckpointMatchHook'),
    non_finite_loss=dict(type='NonFiniteLossHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # the tools switch to gloo where CUDA is absent (grass_mm.utils.setup_cpu_distributed)
    dist_cfg=dict(backend='nccl'),
)

# Scalars (loss, stage, box_area, no_region, probe/*) and GraSSVisualizationHook's grids go
# to work_dir/<timestamp>/vis_data/ and to TensorBoard (`tensorboard --logdir work_dirs`).
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
