# The 30-epoch SimCLR CPU config with a colour-preserving recipe for aerial imagery: milder
# colour jitter (brightness 0.4, contrast 0.4, saturation 0.2, no hue shift, p 0.8) and no
# grayscale; crop, flip and blur as the authors' recipe. Benchmark v2 part 2 compares the two.
_base_ = ['./simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
color_jitter = dict(
    type='RandomApply',
    transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0)],
    prob=0.8)
view_pipeline = [_base_.random_resized_crop, _base_.random_flip, color_jitter, _base_.gaussian_blur]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = _base_.train_dataloader
for source in train_dataloader.dataset.dataset.datasets:
    source.pipeline = train_pipeline
