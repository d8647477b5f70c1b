# The online dense probe on the synthetic aerial set (DenseProbeHook): read-outs fitted on the
# labelled training scenes, scored on the validation scenes (never pretrained on), at random
# init and every 5 epochs.
dense_probe = dict(
    type='DenseProbeHook',
    train_split=dict(
        type='SyntheticAerialDataset',
        data_root='data/synthetic_aerial',
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train')),
    test_split=dict(
        type='SyntheticAerialDataset',
        data_root='data/synthetic_aerial',
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val')),
    interval=5,
    scale=0.5)
custom_hooks = [dense_probe]
