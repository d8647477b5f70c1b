import mmcv
import numpy as np
import pytest
import torch

from grass_mm.engine.hooks import KNNProbeHook


class Pool(torch.nn.Module):
    """A 'backbone' whose pooled feature is the mean colour (or a constant)."""

    def __init__(self, constant=False):
        super().__init__()
        self.constant = constant
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return (torch.ones_like(x) if self.constant else x, )


def probe(tmp_path, colours):
    """One image per entry of ``colours``: 4 patches of class c (colour c) each."""
    for split in ('img', 'ann'):
        (tmp_path / split).mkdir()
    for i, c in enumerate(colours):
        mmcv.imwrite(
            np.full((32, 32, 3), (40 * c, 255 - 40 * c, 60 * (c % 2)), np.uint8),
            str(tmp_path / 'img' / f'{i}.png'))
        mmcv.imwrite(np.full((32, 32), c, np.uint8), str(tmp_path / 'ann' / f'{i}.png'))
    hook = KNNProbeHook(
        str(tmp_path), img_dir='img', ann_dir='ann', k=3, patch_size=16, input_size=8, resize=32)
    pre = torch.nn.Module()
    pre.register_buffer('mean', torch.zeros(3, 1, 1))
    pre.register_buffer('std', torch.ones(3, 1, 1))
    hook.load_patches(pre)
    return hook


def test_knn_accuracy_separates_good_from_useless_features(tmp_path):
    # images 0/1 are class 0, 2/3 class 1, 4/5 class 2; even images form the bank
    hook = probe(tmp_path, [0, 0, 1, 1, 2, 2])
    assert hook.bank.tolist(
    ) == [True] * 4 + [False] * 4 + [True] * 4 + [False] * 4 + [True] * 4 + [False] * 4
    assert hook.evaluate(Pool()) == dict(top1=100.0, mean_class_acc=100.0)
    useless = hook.evaluate(Pool(constant=True))  # every query gets the same vote
    assert useless['mean_class_acc'] == pytest.approx(100 / 3)


def test_one_image_cannot_make_bank_and_queries(tmp_path):
    with pytest.raises(ValueError, match='patches from at least two images'):
        probe(tmp_path, [1])


def test_bad_arguments_name_the_key(tmp_path):
    with pytest.raises(ValueError, match='KNNProbeHook: interval'):
        KNNProbeHook(str(tmp_path), interval=0)
    with pytest.raises(ValueError, match='KNNProbeHook: k'):
        KNNProbeHook(str(tmp_path), k=0)
