# GS on BYOL, CPU-sized: ../byol/byol_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py with
# gradient-guided sampling after the same warm-up as GraSS's CPU config (3 of 30 epochs). Data,
# augmentations, backbone, batch, schedule and initialisation are the base method's.
_base_ = ['../byol/byol_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
model = dict(
    type='GSBYOL',
    guide='efficient',
    sampler=dict(type='GradientBoxSampler', threshold_ratio=0.5, crop_interpolation='nearest'))
custom_hooks = [
    dict(type='GraSSStageHook', warmup_epochs=3),
    dict(type='GraSSVisualizationHook', interval=50),
    _base_.dense_probe,
]
