"""One dense probe of frozen backbones: linear, k-NN and floor read-outs on labelled images in
groups (tiles, or a training and a held-out split), fitted on some groups and scored on another.

- linear: stage features at stride 8 (upsampled), a class-weighted linear classifier trained to
  convergence on up to ``pixels_per_class`` pixels per class, logits upsampled to the label map:
  mIoU and aAcc;
- k-NN: windows one class dominates, embedded by the pooled last stage; the other groups' windows
  vote for the scored group's: mean class accuracy;
- floor: the training groups' majority class everywhere.

Images are normalised by the model's own ``data_preprocessor`` (channel order, mean, std), and
the backbone is read in eval mode without gradients. Every random draw uses its own seeded
generator, so probing never moves the global RNGs that training's data order depends on. The
online :class:`~grass_mm.engine.hooks.DenseProbeHook`, ``linear_probe.py`` (held-out and
leave-one-tile-out, :mod:`.folds`) and the paired harness all probe through this object.
"""
from typing import Callable, Dict, Hashable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .features import dense_features, grid_labels, window_embeddings
from .readouts import (balanced_indices, confusion_matrix, fit_linear_probe, knn_predict,
                       majority_floor, scores)
from .splits import class_windows


class ProbeFeatures(NamedTuple):
    """One backbone's features of a probe's images: dense maps, their grid labels, and the
    embeddings of the k-NN windows."""
    maps: List[Tensor]
    grids: List[Tensor]
    windows: Tensor


class DenseProbe:
    """Linear, k-NN and floor read-outs of frozen backbones on one labelled image set.

    Args:
        split: ``images``, ``labels``, ``classes``, ``ignore_index`` and ``groups`` (one per image:
            a tile, or ``'train'`` / ``'test'``), as :func:`~.splits.load_split` reads them.
        stages: ResNet stages read by the linear probe. Defaults to (4, ).
        pixels_per_class: Training pixels per class for the linear probe.
        patch: k-NN window side (px, at the split's scale).
        min_purity: Share of a k-NN window its class must cover.
        k: k-NN neighbours.
        max_windows: At most this many k-NN windows per group (a seeded draw), which bounds the
            k-NN read-out's cost; None keeps every window.
        seed: Seed of the pixel and window draws.
        dtype: What the dense maps are kept in between the fits (float16 halves the memory of
            a probe that keeps every image's maps for several folds).
    """

    def __init__(self,
                 split: dict,
                 stages: Sequence[int] = (4, ),
                 pixels_per_class: int = 2000,
                 patch: int = 32,
                 min_purity: float = 0.6,
                 k: int = 20,
                 max_windows: Optional[int] = 1000,
                 seed: int = 0,
                 dtype: torch.dtype = torch.float32) -> None:
        if not set(stages) <= {1, 2, 3, 4}:
            raise ValueError(f'stages must be among 1-4, got {list(stages)}')
        self.images, self.labels = split['images'], split['labels']
        self.groups = np.array(split['groups'])
        self.classes, self.ignore = list(split['classes']), split['ignore_index']
        self.num_classes = len(self.classes)
        self.stages = sorted(stages)
        self.pixels_per_class, self.k, self.seed, self.dtype = pixels_per_class, k, seed, dtype
        self.patch, self.min_purity = patch, min_purity
        windows, classes, owners = class_windows(self.images, self.labels, patch, min_purity,
                                                 self.ignore)
        owner_groups = self.groups[owners] if owners else np.zeros(0, self.groups.dtype)
        keep = np.arange(len(owners))
        if max_windows is not None:
            keep = []
            for group in set(self.groups.tolist()):
                where = np.flatnonzero(owner_groups == group)
                if len(where) > max_windows:
                    where = np.random.default_rng(seed).choice(where, max_windows, False)
                keep.append(where)
            keep = np.sort(np.concatenate([np.zeros(0, int), *keep])).astype(int)  # image order
        self.windows, self.window_labels = windows[keep], classes[keep]
        self.window_groups = owner_groups[keep]

    @classmethod
    def held_out(cls, train: dict, test: dict, **settings) -> 'DenseProbe':
        """A probe fitted on ``train`` and scored on ``test`` (two :func:`~.splits.load_split`
        splits with the same classes); ``settings`` as the constructor's.

        Raises:
            ValueError: The splits disagree on classes, or one holds no k-NN window.
        """
        if list(train['classes']) != list(test['classes']):
            raise ValueError(f'probe splits disagree on classes: {train["classes"]} and '
                             f'{test["classes"]}')
        probe = cls(
            dict(
                images=train['images'] + test['images'],
                labels=train['labels'] + test['labels'],
                groups=['train'] * len(train['images']) + ['test'] * len(test['images']),
                classes=train['classes'],
                ignore_index=train['ignore_index']), **settings)
        for group, name in (('train', 'training'), ('test', 'held-out')):
            if not (probe.window_groups == group).any():
                raise ValueError(f'no {probe.patch} px window is {probe.min_purity:.0%} one '
                                 f'class in the {name} split: lower patch or min_purity')
        return probe

    def count(self, group: Hashable) -> Tuple[int, int]:
        """Images and k-NN windows of ``group``."""
        return int((self.groups == group).sum()), int((self.window_groups == group).sum())

    def floor(self, test: Hashable = 'test') -> Dict[str, object]:
        """The majority-class predictor (of the other groups) on group ``test``:
        :func:`~.readouts.majority_floor`'s scores and class."""
        n = self.num_classes
        counts = torch.zeros(n, dtype=torch.long)
        conf = torch.zeros(n, n, dtype=torch.long)
        for label, group in zip(self.labels, self.groups):
            label = torch.from_numpy(label)
            if group == test:
                conf += confusion_matrix(label, label, n, self.ignore)
            else:
                counts += torch.bincount(label[label != self.ignore], minlength=n)
        return majority_floor(counts, conf)

    def features(self, backbone: torch.nn.Module, normalise: Callable[[Tensor],
                                                                      Tensor]) -> ProbeFeatures:
        """Every image's dense maps and every window's embedding, once per backbone (the
        caller sets eval mode)."""
        maps = dense_features(backbone, self.images, normalise, self.stages, self.dtype)
        grids = [grid_labels(label, m.shape[-2:]) for label, m in zip(self.labels, maps)]
        return ProbeFeatures(maps, grids, window_embeddings(backbone, self.windows, normalise))

    def linear(self, feats: ProbeFeatures, train: Sequence[int], test: Sequence[int],
               seed: int) -> Tuple[Tensor, int]:
        """Fit the linear read-out on the ``train`` images' pixels (drawn from ``seed``); its
        confusion on the ``test`` images and the number of training pixels."""
        x = torch.cat([feats.maps[i].flatten(1).T for i in train])  # [P, C]
        y = torch.cat([feats.grids[i].flatten() for i in train])  # [P]
        keep = balanced_indices(y, self.pixels_per_class, seed, self.ignore)
        layer = fit_linear_probe(x[keep].float(), y[keep], self.num_classes)
        conf = torch.zeros(self.num_classes, self.num_classes, dtype=torch.long)
        for i in test:
            logits = torch.einsum('kc,chw->khw', layer.weight, feats.maps[i].float())
            logits = logits + layer.bias[:, None, None]
            up = F.interpolate(
                logits[None], size=self.labels[i].shape, mode='bilinear', align_corners=False)[0]
            conf += confusion_matrix(
                up.argmax(0), torch.from_numpy(self.labels[i]), self.num_classes, self.ignore)
        return conf, int(len(keep))

    def knn(self, feats: ProbeFeatures, test: Hashable) -> Tensor:
        """The confusion of group ``test``'s windows voted on by the other groups' windows."""
        bank = torch.from_numpy(self.window_groups != test)
        pred = knn_predict(
            feats.windows[bank],
            self.window_labels[bank],
            feats.windows[~bank],
            k=self.k,
            num_classes=self.num_classes)
        return confusion_matrix(pred, self.window_labels[~bank], self.num_classes, self.ignore)

    @torch.no_grad()
    def evaluate(self,
                 backbone: torch.nn.Module,
                 normalise: Callable[[Tensor], Tensor],
                 test: Hashable = 'test') -> Dict[str, float]:
        """``linear_mIoU``, ``linear_aAcc`` and ``knn_mAcc`` (%) of ``backbone`` as it is, fitted
        on every other group and scored on group ``test`` (the caller sets eval mode)."""
        feats = self.features(backbone, normalise)
        conf, _ = self.linear(feats, np.flatnonzero(self.groups != test),
                              np.flatnonzero(self.groups == test), self.seed)
        linear, knn = scores(conf), scores(self.knn(feats, test))
        return dict(linear_mIoU=linear['mIoU'], linear_aAcc=linear['aAcc'], knn_mAcc=knn['mAcc'])
