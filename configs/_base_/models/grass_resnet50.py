# GraSS at ResNet-50: SimCLR's networks (simclr_resnet50.py) with gradient-guided sampling.
_base_ = ['./simclr_resnet50.py']
model = dict(
    type='GraSS',
    guide='efficient',
    guide_scale=1.0,
    sampler=dict(type='GradientBoxSampler', threshold_ratio=0.5, crop_interpolation='nearest'),
)
