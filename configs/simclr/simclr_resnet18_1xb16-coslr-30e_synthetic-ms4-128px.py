# SimCLR twin of ../grass/grass_resnet18_1xb16-coslr-30e_synthetic-ms4-128px.py: the same data,
# schedule and networks (a 4-band ResNet-18 on the generated multispectral GeoTIFF patches).
_base_ = [
    '../_base_/models/simclr_resnet18.py',
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
default_hooks = dict(checkpoint=dict(interval=10))
