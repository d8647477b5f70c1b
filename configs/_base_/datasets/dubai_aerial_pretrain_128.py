# CPU-sized pretraining data on real imagery: the Dubai aerial *training* tiles (1-6; tile 7 is the
# v1 validation tile and never seen here) read in their original layout, plus the unlabelled
# aerial scenes, as 128 px views. GRASS_MM_DATA points at the folder holding dubai_aerial/ and
# aerial_unlabeled/.
_base_ = ['./rs_pretrain_128.py']
shared = '{{$GRASS_MM_DATA:../shared/data}}'
tiles = f'{shared}/dubai_aerial/Semantic segmentation dataset'
pipeline = _base_.train_pipeline
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
                dict(
                    type='CustomDataset',
                    data_root=f'{tiles}/Tile {i}/images',
                    with_label=False,
                    pipeline=pipeline) for i in (1, 2, 3, 4, 5, 6)
            ] + [
                dict(
                    type='CustomDataset',
                    data_root=f'{shared}/aerial_unlabeled',
                    with_label=False,
                    pipeline=pipeline)
            ])))
# The online dense probe (DenseProbeHook, docs/en/user_guides/training.md): held-out labels of
# tile 7 (never in pretraining), read-outs fitted on 16 images of tiles 1-6, at 1/4 scale; at
# random init and every 10 epochs. Every Dubai pretraining config lists it in custom_hooks.
dense_probe = dict(
    type='DenseProbeHook',
    train_split=dict(type='DubaiAerialTiles', data_root=tiles, tiles=[1, 2, 3, 4, 5, 6]),
    test_split=dict(type='DubaiAerialTiles', data_root=tiles, tiles=[7]),
    max_images=16,
    interval=10)
custom_hooks = [dense_probe]
