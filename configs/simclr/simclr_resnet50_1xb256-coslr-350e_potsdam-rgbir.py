# SimCLR twin of ../grass/grass_resnet50_1xb256-coslr-350e_potsdam-rgbir.py: the same data,
# schedule and networks (a 4-band ResNet-50 on Potsdam RGB-IR GeoTIFF patches; mean/std from
# tools/analysis_tools/band_stats.py in practice).
_base_ = [
    '../_base_/models/simclr_resnet50.py',
    '../_base_/datasets/ms_pretrain_224.py',
    '../_base_/schedules/lars_coslr_350e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=dict(
        _delete_=True,
        type='MultiBandDataPreprocessor',
        mean=[123.675, 116.28, 103.53, 123.675],
        std=[58.395, 57.12, 57.375, 58.395]),
    backbone=dict(in_channels=4))
train_dataloader = dict(dataset=dict(data_root='data/potsdam_rgbir/pretrain_patches/'))
