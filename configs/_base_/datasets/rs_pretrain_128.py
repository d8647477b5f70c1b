# rs_pretrain_224.py with 128 px views, for CPU-sized runs: the same pipeline, one size changed.
_base_ = ['./rs_pretrain_224.py']
view_size = 128
random_resized_crop = dict(_base_.random_resized_crop, scale=view_size)
view_pipeline = [
    random_resized_crop, _base_.random_flip, _base_.color_jitter, _base_.random_grayscale,
    _base_.gaussian_blur
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
