# The 30-epoch SimCLR CPU config with a colour-preserving recipe for aerial imagery: milder
# colour jitter (brightness 0.4, contrast 0.4, saturation 0.2, no hue shift, p 0.8) and no
# grayscale; crop, flip and blur as the authors' recipe. Benchmark v2 part 2 compares the two.
_base_ = ['./simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
view_pipeline = [
    dict(type='RandomResizedCrop', scale=128, crop_ratio_range=(0.08, 1.), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0)],
        prob=0.8),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
]
train_dataloader = _base_.train_dataloader
for source in train_dataloader.dataset.dataset.datasets:
    source.pipeline[1].transforms = [view_pipeline]  # MultiView
