import hashlib
import os

import cv2
import numpy as np
import pytest

from grass_mm.datasets import SYNTHETIC_CLASSES, SyntheticAerialDataset, generate_synthetic_aerial


def digest(root):
    h = hashlib.sha1()
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            h.update(name.encode())
            with open(os.path.join(dirpath, name), 'rb') as f:
                h.update(f.read())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_scenes(tmp_path):
    a = generate_synthetic_aerial(str(tmp_path / 'a'), num_train=3, num_val=1, size=64, seed=3)
    b = generate_synthetic_aerial(str(tmp_path / 'b'), num_train=3, num_val=1, size=64, seed=3)
    c = generate_synthetic_aerial(str(tmp_path / 'c'), num_train=3, num_val=1, size=64, seed=4)
    assert digest(a) == digest(b) != digest(c)


def test_scenes_hold_every_class_and_look_like_images(synthetic_root):
    labels = [
        cv2.imread(os.path.join(synthetic_root, 'ann_dir', 'train', f), 0)
        for f in sorted(os.listdir(os.path.join(synthetic_root, 'ann_dir', 'train')))
    ]
    present = np.unique(np.concatenate([lab.ravel() for lab in labels]))
    assert set(present) == set(range(len(SYNTHETIC_CLASSES)))
    image = cv2.imread(os.path.join(synthetic_root, 'img_dir', 'train', 'synthetic_train_0000.png'))
    assert image.shape == (96, 96, 3) and image.std() > 10  # textured, not flat


def test_reuses_an_identical_set_and_refuses_other_content(tmp_path):
    root = str(tmp_path / 'set')
    generate_synthetic_aerial(root, num_train=1, num_val=1, size=32)
    before = digest(root)
    generate_synthetic_aerial(root, num_train=1, num_val=1, size=32)  # no-op
    assert digest(root) == before
    with pytest.raises(FileExistsError, match='not empty'):
        generate_synthetic_aerial(root, num_train=2, num_val=1, size=32)
    (tmp_path / 'user').mkdir()
    (tmp_path / 'user' / 'mine.txt').write_text('keep me')
    with pytest.raises(FileExistsError):
        generate_synthetic_aerial(str(tmp_path / 'user'))
    assert (tmp_path / 'user' / 'mine.txt').read_text() == 'keep me'


def test_mmseg_dataset_reads_it(synthetic_root):
    dataset = SyntheticAerialDataset(
        data_root=synthetic_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='mmseg.LoadAnnotations')])
    assert len(dataset) == 4 and dataset.metainfo['classes'] == SYNTHETIC_CLASSES
    sample = dataset[0]
    assert sample['gt_seg_map'].max() < len(SYNTHETIC_CLASSES)
