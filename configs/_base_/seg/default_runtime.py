# mmseg runtime, with grass_mm imported (datasets, PretrainedCheckHook).
default_scope = 'mmseg'
custom_imports = dict(imports=['grass_mm'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # the tools switch to gloo where CUDA is absent (grass_mm.utils.setup_cpu_distributed)
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
# No fixed name (mmseg's has name='visualizer'): a visualizer is one instance per name per
# process, so a second Runner would log its scalars into the first run's folder.
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
tta_model = dict(type='SegTTAModel')
# Fail (not just log) when the pretrained file leaves backbone weights uninitialised, when a
# load_from/resume checkpoint does not fit the model, and at the first NaN/inf loss.
custom_hooks = [
    dict(type='PretrainedCheckHook', modules=['backbone']),
    dict(type='CheckpointMatchHook'),
    dict(type='NonFiniteLossHook'),
]
