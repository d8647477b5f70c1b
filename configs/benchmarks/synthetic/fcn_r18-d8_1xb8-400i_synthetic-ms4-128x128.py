# FCN on a 4-band plain-stem ResNet-18, the generated multispectral set (GeoTIFF in).
# PretrainedBands loads a 4-band backbone as it is and an RGB one with its stem adapted
# (grass_mm.models.utils.adapt_band_weight: RGB kernels kept, other bands their mean, x 3/N).
_base_ = [
    '../../_base_/seg/models/fcn_r18-d8_plain.py',
    '../../_base_/seg/datasets/synthetic_ms.py',
    '../../_base_/seg/schedules/sgd_poly_400i.py',
    '../../_base_/seg/default_runtime.py',
]
model = dict(
    data_preprocessor=dict(
        size=(128, 128),
        mean=[2200.0, 2150.0, 1500.0, 1600.0],
        std=[700.0, 350.0, 500.0, 600.0],
        bgr_to_rgb=False),
    backbone=dict(
        in_channels=4,
        init_cfg=dict(
            type='PretrainedBands',
            checkpoint='work_dirs/pretrain/backbone.pth',
            rgb_bands=(0, 1, 2))),
    decode_head=dict(num_classes=5),
    auxiliary_head=None)
