# Unlabelled remote-sensing patches, two views each with the authors' augmentations.
# data_root is a folder of images (searched recursively); override it from the command line:
#   --cfg-options train_dataloader.dataset.data_root=/path/to/patches
data_root = 'data/pretrain/'
view_size = 224
# The view transforms by name: a config changes one by redefining it and `view_pipeline`
# (see rs_pretrain_128.py), never by its position in the pipeline.
random_resized_crop = dict(
    type='RandomResizedCrop', scale=view_size, crop_ratio_range=(0.08, 1.), backend='pillow')
random_flip = dict(type='RandomFlip', prob=0.5)
color_jitter = dict(
    type='RandomApply',
    transforms=[dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2)],
    prob=0.8)
random_grayscale = dict(
    type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989))
gaussian_blur = dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5)
view_pipeline = [random_resized_crop, random_flip, color_jitter, random_grayscale, gaussian_blur]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CustomDataset', data_root=data_root, with_label=False, pipeline=train_pipeline))
