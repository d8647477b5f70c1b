# Dubai aerial imagery under the benchmark v2 protocol (docs/en/user_guides/benchmark.md):
# - every tile in one split, converted with
#   `tools/dataset_converters/dubai_aerial.py SRC data/dubai_aerial --all-tiles`;
#   a leave-one-tile-out fold picks its tiles (default: test tile 7, train tiles 1-6):
#   --cfg-options train_dataloader.dataset.tiles=[1,2,3,4,5,7] \
#       val_dataloader.dataset.tiles=[6] test_dataloader.dataset.tiles=[6]
# - 5 classes: 'unlabeled' (0.1 % of the pixels) is mapped to 255 by mmseg's label map;
# - one resize factor (0.5) for training and test, so every tile keeps the ground resolution the
#   source has (tile 7's images are 2-4x larger than the others' at similar resolution).
_base_ = './dubai_aerial.py'
classes = ('building', 'land', 'road', 'vegetation', 'water')
scale_factor = 0.5
train_tiles = [1, 2, 3, 4, 5, 6]
test_tiles = [7]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelRange', num_classes=5),  # names the file of a bad label map
    dict(type='Resize', scale_factor=scale_factor, keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale_factor=scale_factor, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelRange', num_classes=5),
    dict(type='PackSegInputs')
]
all_tiles = dict(img_path='img_dir/all', seg_map_path='ann_dir/all')
train_dataloader = dict(
    dataset=dict(
        data_prefix=all_tiles,
        metainfo=dict(classes=classes),
        tiles=train_tiles,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_prefix=all_tiles,
        metainfo=dict(classes=classes),
        tiles=test_tiles,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
