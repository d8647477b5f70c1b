# The generated multispectral set (grass_mm.datasets.generate_synthetic_multispectral): GeoTIFF
# scenes and label GeoTIFFs in mmseg layout, read with rasterio. Label pixels under image nodata
# are ignored (255). A band-count change needs the model's in_channels, mean and std too.
dataset_type = 'SyntheticAerialDataset'
data_root = 'data/synthetic_ms4'
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadGeoTIFF'),
    dict(type='LoadGeoTIFFAnnotation'),
    dict(type='CheckLabelRange', num_classes=5),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadGeoTIFF'),
    dict(type='LoadGeoTIFFAnnotation'),
    dict(type='CheckLabelRange', num_classes=5),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        img_suffix='.tif',
        seg_map_suffix='.tif',
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        img_suffix='.tif',
        seg_map_suffix='.tif',
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
