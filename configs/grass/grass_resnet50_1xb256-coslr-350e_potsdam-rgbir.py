# GraSS on Potsdam RGB-IR (4 bands): grass_resnet50_1xb256-coslr-350e_potsdam.py with a 4-band
# stem, read from the 4-band GeoTIFF patches that
#   python tools/dataset_converters/prepare_rs_benchmark.py potsdam-rgbir ARCHIVES
# cuts from 4_Ortho_RGBIR.zip (training tiles only). RGB-only augmentations are skipped
# (RGBOnly). The mean/std are ImageNet's for R, G, B and the R values for IR, a neutral start:
# replace them with `python tools/analysis_tools/band_stats.py data/potsdam_rgbir/pretrain_patches`.
_base_ = [
    '../_base_/models/grass_resnet50.py',
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
custom_hooks = [
    dict(type='GraSSStageHook', warmup_epochs=35),
    dict(type='GraSSVisualizationHook', interval=2000),
]
