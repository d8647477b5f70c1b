# ms_pretrain_224.py with 128 px views and a CPU-sized loader: the same pipeline otherwise.
_base_ = ['./ms_pretrain_224.py']
view_size = 128
view_pipeline = _base_.view_pipeline
view_pipeline[0].scale = view_size  # RandomResizedCrop
train_pipeline = _base_.train_pipeline
train_pipeline[1].transforms = [view_pipeline]  # MultiView
train_dataloader = dict(batch_size=16, num_workers=2, dataset=dict(pipeline=train_pipeline))
