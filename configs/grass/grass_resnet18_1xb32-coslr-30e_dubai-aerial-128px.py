# CPU-sized GraSS on real imagery: ResNet-18, 128 px views, 30 epochs.
# Pretraining images: the Dubai aerial *training* tiles (1-6; tile 7 is the validation tile and
# never seen here) read in their original layout, plus the unlabelled aerial scenes.
# GRASS_MM_DATA points at the folder holding dubai_aerial/ and aerial_unlabeled/.
_base_ = [
    '../_base_/models/grass_resnet50.py',
    '../_base_/datasets/rs_pretrain_128.py',
    '../_base_/schedules/lars_coslr_cpu.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=dict(depth=18), neck=dict(in_channels=512, hid_channels=512))

shared = '{{$GRASS_MM_DATA:../shared/data}}'
tiles = f'{shared}/dubai_aerial/Semantic segmentation dataset'
pipeline = {{_base_.train_pipeline}}
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=4,  # the 65 source images are large: several crops of each per epoch
        dataset=dict(
            type='ConcatDataset',
            datasets=[
                dict(type='CustomDataset', data_root=f'{tiles}/Tile {i}/images',
                     with_label=False, pipeline=pipeline) for i in (1, 2, 3, 4, 5, 6)
            ] + [
                dict(type='CustomDataset', data_root=f'{shared}/aerial_unlabeled',
                     with_label=False, pipeline=pipeline)
            ])))
custom_hooks = [
    dict(type='GraSSStageHook', warmup_epochs=3),
    dict(type='GraSSVisualizationHook', interval=50),
]
default_hooks = dict(checkpoint=dict(interval=5))
