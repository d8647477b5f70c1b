# The online dense probe of the Potsdam presets (DenseProbeHook): read-outs fitted on 200 images
# of mmseg's training split, scored on 200 of its validation split (tools/dataset_converters/
# prepare_rs_benchmark.py writes both; pretraining reads training tiles only), at 1/4 scale, at
# random init and every 35 epochs (10 % of the schedule).
dense_probe = dict(
    type='DenseProbeHook',
    train_split=dict(
        type='PotsdamDataset',
        data_root='data/potsdam',
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train')),
    test_split=dict(
        type='PotsdamDataset',
        data_root='data/potsdam',
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val')),
    max_images=200,
    interval=35)
custom_hooks = [dense_probe]
