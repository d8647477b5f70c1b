import os

import mmcv
import numpy as np
import pytest

from grass_mm.datasets import dominant_class_patches


def write_pair(root, name, label):
    os.makedirs(f'{root}/img', exist_ok=True)
    os.makedirs(f'{root}/ann', exist_ok=True)
    image = np.stack([label * 40] * 3, axis=2).astype(np.uint8)
    mmcv.imwrite(image, f'{root}/img/{name}.jpg')
    mmcv.imwrite(label.astype(np.uint8), f'{root}/ann/{name}.png')


def test_keeps_patches_one_class_dominates(tmp_path):
    label = np.zeros((64, 64), np.uint8)
    label[:32, 32:] = 1  # a pure class-1 patch
    label[32:, :32] = np.tile([0, 2], (32, 16))  # a 50/50 patch: dropped at purity 0.75
    label[32:, 32:] = 255  # ignored pixels count against purity: dropped
    write_pair(tmp_path, 'a', label)
    patches, labels, owners = dominant_class_patches(
        f'{tmp_path}/img', f'{tmp_path}/ann', patch_size=32, input_size=16, resize=64)
    assert patches.shape == (2, 16, 16, 3) and labels.tolist() == [0, 1]
    assert owners.tolist() == [0, 0]
    capped = dominant_class_patches(
        f'{tmp_path}/img',
        f'{tmp_path}/ann',
        patch_size=8,
        input_size=8,
        resize=64,
        max_patches=5,
        seed=1)
    assert len(capped[0]) == 5


def test_bad_folders_name_what_is_wrong(tmp_path):
    write_pair(tmp_path, 'a', np.tile([0, 1], (32, 16)).astype(np.uint8))
    with pytest.raises(ValueError, match='has one class covering 75%'):
        dominant_class_patches(f'{tmp_path}/img', f'{tmp_path}/ann', patch_size=32, resize=64)
    with pytest.raises(FileNotFoundError, match='ann_dir: no folder'):
        dominant_class_patches(f'{tmp_path}/img', f'{tmp_path}/missing')
    mmcv.imwrite(np.zeros((8, 8, 3), np.uint8), f'{tmp_path}/img/b.jpg')
    with pytest.raises(FileNotFoundError, match=r'b\.jpg has no label map'):
        dominant_class_patches(f'{tmp_path}/img', f'{tmp_path}/ann', patch_size=8, resize=64)
