"""The probe's splits from mmseg dataset configs (label map, reduce_zero_label, ignore index), the
Dubai preset, the one probe object in both protocols, and its read-outs on real features."""
import os.path as osp

import numpy as np
import torch
from mmpretrain.models import ResNet

from grass_mm.datasets import SYNTHETIC_CLASSES
from grass_mm.evaluation.probe import DenseProbe, load_split, stage_features


def test_a_split_from_an_mmseg_dataset_keeps_its_classes_and_scale(synthetic_root):
    split = load_split(
        dict(
            type='SyntheticAerialDataset',
            data_root=synthetic_root,
            data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val')),
        scale=0.5)
    assert split['classes'] == list(SYNTHETIC_CLASSES) and len(split['images']) == 4
    assert split['images'][0].shape == (48, 48, 3) and split['labels'][0].shape == (48, 48)
    assert set(np.unique(np.concatenate([lab.ravel() for lab in split['labels']
                                         ]))) <= set(range(len(SYNTHETIC_CLASSES)))


def test_potsdam_layout_reduces_the_zero_label(shared_data):
    root = osp.join(shared_data, 'rs_benchmark_crops', 'pseudo_potsdam_dataset')
    split = load_split(
        dict(
            type='PotsdamDataset',
            data_root=root,
            data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir')),
        scale=0.25)
    assert len(split['classes']) == 6 and split['ignore_index'] == 255
    values = set(np.unique(split['labels'][0]).tolist())
    assert values <= set(range(6)) | {255} and len(values - {255}) > 1
    probe = DenseProbe.held_out(split, split, patch=16, min_purity=0.5, pixels_per_class=200)
    backbone = ResNet(depth=18)
    backbone.eval()  # (mmpretrain's ResNet.train returns None)
    scores = probe.evaluate(backbone, lambda x: (x.float() - 120) / 60)
    assert all(0 <= v <= 100 for v in scores.values())


def test_the_dubai_preset_reads_the_original_layout(shared_data):
    split = load_split(
        dict(type='DubaiAerialTiles', data_root=osp.join(shared_data, 'dubai_aerial'), tiles=[7]),
        scale=0.25,
        max_images=3)
    assert len(split['images']) == 3 and len(split['classes']) == 5


def test_stage_features_match_the_backbones_own_outputs():
    backbone = ResNet(depth=18, out_indices=(1, 3))
    backbone.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        own = backbone(x)
    caught = stage_features(backbone, x, [2, 4])
    assert all(torch.equal(a, b) for a, b in zip(own, caught))
    assert not backbone.layer2._forward_hooks  # the hooks are removed


def test_a_label_map_of_another_size_is_named_not_resized(tmp_path):
    import cv2
    import pytest

    from grass_mm.datasets import generate_synthetic_aerial
    root = generate_synthetic_aerial(str(tmp_path), num_train=1, num_val=2, size=40)
    name = sorted(__import__('os').listdir(osp.join(root, 'ann_dir', 'val')))[0]
    cv2.imwrite(osp.join(root, 'ann_dir', 'val', name), np.zeros((30, 40), np.uint8))
    # A plain mmseg dataset (no header check of its own): the probe names the pair.
    with pytest.raises(ValueError, match=rf'{name}: label map of \(30, 40\) for the image'):
        load_split(
            dict(
                type='BaseSegDataset',
                metainfo=dict(classes=SYNTHETIC_CLASSES),
                data_root=root,
                img_suffix='.png',
                data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val')))


def test_a_held_out_split_and_a_fold_of_the_same_images_score_alike(synthetic_root):
    """One probe object: fitted on the training split and scored on the held-out one, or on the
    same images as two groups of one set, it gives the same figures; the window draw caps each
    group at max_windows and keeps the windows in image order."""
    train, test = (
        load_split(
            dict(
                type='SyntheticAerialDataset',
                data_root=synthetic_root,
                data_prefix=dict(img_path=f'img_dir/{s}', seg_map_path=f'ann_dir/{s}')))
        for s in ('train', 'val'))
    settings = dict(patch=16, min_purity=0.5, pixels_per_class=300, max_windows=20, seed=3)
    held_out = DenseProbe.held_out(train, test, **settings)
    groups = [7] * len(train['images']) + [2] * len(test['images'])
    folds = DenseProbe(
        dict(
            train,
            images=train['images'] + test['images'],
            labels=train['labels'] + test['labels'],
            groups=groups), **settings)
    assert held_out.count('train')[1] == folds.count(7)[1] == 20
    assert np.array_equal(held_out.windows, folds.windows)
    torch.manual_seed(0)
    backbone = ResNet(depth=18)
    backbone.eval()
    normalise = lambda x: (x.float() - 120) / 60  # noqa: E731
    a, b = held_out.evaluate(backbone, normalise), folds.evaluate(backbone, normalise, test=2)
    assert a == b and all(0 <= v <= 100 for v in a.values())
    assert held_out.floor()['mIoU'] == folds.floor(2)['mIoU']
