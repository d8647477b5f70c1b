# CPU-sized multispectral GraSS: ResNet-18 with a 4-band stem on GeoTIFF patches of the generated
# 4-band uint16 set (grass_mm.datasets.generate_synthetic_multispectral, then
# tools/dataset_converters/make_geotiff_patches.py). For other data set in_channels, mean and std
# (tools/analysis_tools/band_stats.py prints them) and data_root.
_base_ = [
    '../_base_/models/grass_resnet18.py',
    '../_base_/datasets/ms_pretrain_128.py',
    '../_base_/schedules/lars_coslr_30e.py',
    '../_base_/default_runtime.py',
]
bands = 4
model = dict(
    data_preprocessor=dict(
        _delete_=True,
        type='MultiBandDataPreprocessor',
        mean=[2200.0, 2150.0, 1500.0, 1600.0],
        std=[700.0, 350.0, 500.0, 600.0]),
    backbone=dict(in_channels=bands))
train_dataloader = dict(dataset=dict(data_root='data/synthetic_ms4/patches'))
custom_hooks = [
    dict(type='GraSSStageHook', warmup_epochs=3),
    dict(type='GraSSVisualizationHook', interval=50),  # bands 1-3, stretched
]
default_hooks = dict(checkpoint=dict(interval=10))
