# Unlabelled multispectral GeoTIFF patches (any band count and dtype), two 224 px views each.
# LoadGeoTIFF reads a random 256 px window of each file with rasterio (a scene is never read
# whole) and fills nodata with 0; the views follow rs_pretrain_224.py, except that the
# augmentations mmpretrain implements for 8-bit RGB only (colour jitter, grayscale, PIL blur) go
# through RGBOnly: applied to 3-band images, skipped with a logged reason for other band counts.
# Standardisation is the model's data_preprocessor (mean/std per band from
# tools/analysis_tools/band_stats.py; to_rgb=False); values are never clipped.
data_root = 'data/ms_pretrain/'
view_size = 224
# The view transforms by name, as in rs_pretrain_224.py.
random_resized_crop = dict(
    type='RandomResizedCrop', scale=view_size, crop_ratio_range=(0.08, 1.), backend='cv2')
random_flip = dict(type='RandomFlip', prob=0.5)
rgb_only = dict(
    type='RGBOnly',
    transforms=[
        dict(
            type='RandomApply',
            transforms=[
                dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2)
            ],
            prob=0.8),
        dict(
            type='RandomGrayscale',
            prob=0.2,
            keep_channels=True,
            channel_weights=(0.114, 0.587, 0.2989)),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    ])
view_pipeline = [random_resized_crop, random_flip, rgb_only]
train_pipeline = [
    dict(type='LoadGeoTIFF', crop_size=256),
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
