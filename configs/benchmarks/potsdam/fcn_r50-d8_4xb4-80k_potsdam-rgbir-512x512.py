# FCN on a 4-band plain-stem ResNet-50, Potsdam RGB-IR (4-band GeoTIFF images and mmseg's labels
# from prepare_rs_benchmark.py potsdam-rgbir), mmseg's 80k schedule. PretrainedBands loads a
# 4-band backbone as it is, or an RGB one with its stem adapted (RGB kernels kept, IR their mean,
# all x 3/4). The photometric distortion (HSV, RGB only) is left out; the mean/std are those of
# grass_resnet50_1xb256-coslr-350e_potsdam-rgbir.py (replace both with band_stats.py's).
_base_ = [
    '../../_base_/seg/models/fcn_r50-d8_plain.py',
    'mmseg::_base_/datasets/potsdam.py',
    'mmseg::_base_/schedules/schedule_80k.py',
    '../../_base_/seg/default_runtime.py',
]
crop_size = (512, 512)
data_root = 'data/potsdam_rgbir'
train_pipeline = [
    dict(type='LoadGeoTIFF'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(512, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadGeoTIFF'),
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, img_suffix='.tif', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, img_suffix='.tif', pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(
    data_preprocessor=dict(
        size=crop_size,
        mean=[123.675, 116.28, 103.53, 123.675],
        std=[58.395, 57.12, 57.375, 58.395],
        bgr_to_rgb=False),
    backbone=dict(
        in_channels=4,
        init_cfg=dict(
            type='PretrainedBands',
            checkpoint='work_dirs/pretrain/backbone.pth',
            rgb_bands=(0, 1, 2))),
    decode_head=dict(num_classes=6),
    auxiliary_head=dict(num_classes=6))
