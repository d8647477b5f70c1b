# ms_pretrain_224.py with 128 px views and a CPU-sized loader: the same pipeline otherwise.
_base_ = ['./ms_pretrain_224.py']
view_size = 128
random_resized_crop = dict(_base_.random_resized_crop, scale=view_size)
view_pipeline = [random_resized_crop, _base_.random_flip, _base_.rgb_only]
train_pipeline = [
    dict(type='LoadGeoTIFF', crop_size=256),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(batch_size=16, num_workers=2, dataset=dict(pipeline=train_pipeline))
