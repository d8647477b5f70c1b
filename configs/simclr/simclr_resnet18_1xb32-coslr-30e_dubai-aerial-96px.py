# Benchmark v2 part 2's gate, a budget with cheaper steps: the 30-epoch SimCLR CPU config with
# 96 px views instead of 128 px (docs/en/user_guides/benchmark.md, "Part 2: the gate").
_base_ = ['./simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
view_size = 96
random_resized_crop = dict(_base_.random_resized_crop, scale=view_size)
view_pipeline = [
    random_resized_crop, _base_.random_flip, _base_.color_jitter, _base_.random_grayscale,
    _base_.gaussian_blur
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = _base_.train_dataloader
for source in train_dataloader.dataset.dataset.datasets:
    source.pipeline = train_pipeline
