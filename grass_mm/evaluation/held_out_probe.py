"""A dense probe on held-out labels, for any mmseg dataset: the read-outs of the online
:class:`~grass_mm.engine.hooks.DenseProbeHook` (and of ``linear_probe.py --dataset-config``).

A *split* is a list of labelled images read once from an mmseg dataset config (its folders,
label map, ``reduce_zero_label`` and ignore index, as mmseg's own dataset class applies them) and
resized by one factor. The probe fits its read-outs on the training split and scores them on the
held-out split:

- linear: stage features at stride 8 (upsampled), a class-weighted linear classifier trained to
  convergence on up to ``pixels_per_class`` pixels per class, logits upsampled to the label map:
  mIoU and aAcc;
- k-NN: windows one class dominates, embedded by the pooled last stage; training-split windows
  vote for held-out ones: mean class accuracy;
- floor: the training split's majority class everywhere.

Images are normalised by the model's own ``data_preprocessor`` (channel order, mean, std), and
the backbone is read in eval mode without gradients. Every random draw uses its own seeded
generator, so probing never moves the global RNGs that training's data order depends on.
"""
import copy
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from grass_mm.datasets.probe_patches import dominant_windows
from .probes import (balanced_indices, confusion_matrix, fit_linear_probe, knn_predict,
                     majority_floor, scores)

STRIDE = 8


def load_split(dataset: dict, scale: float = 0.5, max_images: Optional[int] = None) -> dict:
    """Read a labelled split from an mmseg dataset config.

    Args:
        dataset: An mmseg dataset config (``type``, ``data_root``, ``data_prefix``, ...); its
            pipeline is replaced by loading the image and the annotation, so the dataset's label
            map and ``reduce_zero_label`` apply as in mmseg. Or the Dubai preset,
            ``dict(type='DubaiAerialTiles', data_root=..., tiles=[...])``: the original layout
            read in place (:func:`~grass_mm.datasets.load_dubai_tiles`, its 5 classes).
        scale: One resize factor for every image (area interpolation; labels nearest).
        max_images: Read at most this many images (evenly spaced over the split).

    Returns:
        ``images`` (BGR uint8 ``[H, W, 3]`` each, as ``LoadImageFromFile`` reads them), ``labels``
        (``[H, W]`` each), ``classes`` and ``ignore_index``.

    Raises:
        ValueError: The split is empty or its labels are outside the classes (named).
    """
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    cfg = copy.deepcopy(dict(dataset))
    if cfg.get('type') == 'DubaiAerialTiles':
        from grass_mm.datasets import DUBAI_EVAL_CLASSES, load_dubai_tiles
        samples = load_dubai_tiles(cfg['data_root'], tiles=cfg['tiles'], scale=scale)
        if max_images and len(samples) > max_images:
            samples = [samples[int(i)] for i in np.linspace(0, len(samples) - 1, max_images)]
        return dict(
            images=[s['img'] for s in samples],
            labels=[s['label'].astype(np.int64) for s in samples],
            classes=list(DUBAI_EVAL_CLASSES),
            ignore_index=255)
    cfg.pop('_scope_', None)
    cfg['pipeline'] = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
    cfg['lazy_init'] = False
    with DefaultScope.overwrite_default_scope('mmseg'):
        split = DATASETS.build(cfg)
    if len(split) == 0:
        raise ValueError(f'the probe split {cfg.get("data_root")} / {cfg.get("data_prefix")} '
                         'holds no image')
    indices = range(len(split))
    if max_images and len(split) > max_images:
        indices = np.linspace(0, len(split) - 1, max_images).round().astype(int)
    classes = list(split.metainfo['classes'])
    ignore = int(getattr(split, 'ignore_index', 255))
    images, labels = [], []
    for i in indices:
        item = split[int(i)]
        image, label = item['img'], item['gt_seg_map']
        if label.shape[:2] != image.shape[:2]:  # never resized to fit: the pair is wrong
            raise ValueError(f"{item['seg_map_path']}: label map of {label.shape[:2]} for the "
                             f"image {item['img_path']} of {image.shape[:2]} (height, width)")
        if scale != 1:
            size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            label = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
        bad = np.setdiff1d(np.unique(label), [*range(len(classes)), ignore])
        if bad.size:
            raise ValueError(f'{item["seg_map_path"]}: label values {bad.tolist()} are outside '
                             f'the {len(classes)} classes (and ignore index {ignore})')
        images.append(image)
        labels.append(label.astype(np.int64))
    return dict(images=images, labels=labels, classes=classes, ignore_index=ignore)


def normalise_with(preprocessor: torch.nn.Module) -> Callable[[Tensor], Tensor]:
    """``[B, C, H, W]`` images in file order -> what ``preprocessor`` gives the model (channel
    conversion, mean and std, on the model's device), for mmpretrain's self-supervised
    preprocessors."""

    def normalise(images: Tensor) -> Tensor:
        out = preprocessor(dict(inputs=[images], data_samples=None), training=False)['inputs']
        return out[0] if isinstance(out, (list, tuple)) else out

    return normalise


@torch.no_grad()
def stage_features(backbone: torch.nn.Module, x: Tensor, stages: Sequence[int]) -> List[Tensor]:
    """The outputs of ResNet ``stages`` (1-4) for normalised ``x``, whatever the backbone's
    ``out_indices`` (read by forward hooks on ``layer<s>``)."""
    caught: Dict[int, Tensor] = {}
    handles = [
        getattr(backbone, f'layer{s}').register_forward_hook(
            lambda module, args, out, s=s: caught.__setitem__(s, out)) for s in stages
    ]
    try:
        backbone(x)
    finally:
        for handle in handles:
            handle.remove()
    return [caught[s] for s in stages]


class DenseProbe:
    """Linear, k-NN and floor read-outs of a frozen backbone on a held-out split.

    Args:
        train: The training split (:func:`load_split`).
        test: The held-out split (same classes).
        stages: ResNet stages read by the linear probe. Defaults to (4, ).
        pixels_per_class: Training pixels per class for the linear probe.
        patch: k-NN window side (px, at the split's scale).
        min_purity: Share of a k-NN window its class must cover.
        k: k-NN neighbours.
        max_windows: At most this many k-NN windows per split (a seeded draw), which bounds
            the k-NN read-out's cost.
        seed: Seed of the pixel and window draws.
    """

    def __init__(self,
                 train: dict,
                 test: dict,
                 stages: Sequence[int] = (4, ),
                 pixels_per_class: int = 2000,
                 patch: int = 32,
                 min_purity: float = 0.6,
                 k: int = 20,
                 max_windows: int = 1000,
                 seed: int = 0) -> None:
        if list(train['classes']) != list(test['classes']):
            raise ValueError(f'probe splits disagree on classes: {train["classes"]} and '
                             f'{test["classes"]}')
        if not set(stages) <= {1, 2, 3, 4}:
            raise ValueError(f'stages must be among 1-4, got {list(stages)}')
        self.train, self.test = train, test
        self.stages = sorted(stages)
        self.pixels_per_class, self.k, self.seed = pixels_per_class, k, seed
        self.num_classes = len(train['classes'])
        self.ignore = train['ignore_index']
        self.max_windows = max_windows
        self.bank, self.bank_labels = self._windows(train, patch, min_purity)
        self.queries, self.query_labels = self._windows(test, patch, min_purity)
        if not len(self.bank_labels) or not len(self.query_labels):
            raise ValueError(f'no {patch} px window is {min_purity:.0%} one class in the '
                             f'{"training" if not len(self.bank_labels) else "held-out"} split: '
                             'lower patch or min_purity')

    def _windows(self, split: dict, patch: int, min_purity: float):
        images, labels = [], []
        for image, label in zip(split['images'], split['labels']):
            for y, x, c in dominant_windows(label, patch, min_purity, self.ignore):
                images.append(image[y:y + patch, x:x + patch])
                labels.append(c)
        if not images:
            return np.zeros((0, patch, patch, 3), np.uint8), torch.zeros(0, dtype=torch.long)
        keep = np.arange(len(images))
        if len(images) > self.max_windows:
            keep = np.sort(
                np.random.default_rng(self.seed).choice(len(images), self.max_windows, False))
        return np.stack([images[i] for i in keep]), torch.tensor(labels)[keep]

    def floor(self) -> Dict[str, float]:
        """The majority-class predictor's mIoU and aAcc on the held-out split."""
        n = self.num_classes
        counts = sum(
            torch.bincount(torch.from_numpy(lab[lab != self.ignore]), minlength=n)
            for lab in self.train['labels'])
        test = sum(
            confusion_matrix(torch.from_numpy(lab), torch.from_numpy(lab), n, self.ignore)
            for lab in self.test['labels'])
        floor = majority_floor(counts, test)
        return dict(mIoU=floor['mIoU'], aAcc=floor['aAcc'])

    def _features(self, backbone, normalise, images: List[np.ndarray]) -> List[Tensor]:
        feats = []
        for image in images:
            x = normalise(torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None])
            size = (-(-x.shape[-2] // STRIDE), -(-x.shape[-1] // STRIDE))  # stride 8
            outs = [
                F.interpolate(o, size=size, mode='bilinear', align_corners=False)
                for o in stage_features(backbone, x, self.stages)
            ]
            feats.append(torch.cat(outs, 1)[0].float().cpu())  # [C, h, w]
        return feats

    def _grid(self, label: np.ndarray, size) -> Tensor:
        ys = np.minimum(np.arange(size[0]) * STRIDE + STRIDE // 2, label.shape[0] - 1)
        xs = np.minimum(np.arange(size[1]) * STRIDE + STRIDE // 2, label.shape[1] - 1)
        return torch.from_numpy(label[np.ix_(ys, xs)])

    def _embed(self, backbone, normalise, windows: np.ndarray) -> Tensor:
        out = []
        for chunk in np.array_split(windows, max(1, len(windows) // 64)):
            x = normalise(torch.from_numpy(chunk).permute(0, 3, 1, 2))
            out.append(stage_features(backbone, x, [4])[0].mean(dim=(2, 3)).float().cpu())
        return torch.cat(out)

    @torch.no_grad()
    def evaluate(self, backbone: torch.nn.Module, normalise: Callable[[Tensor],
                                                                      Tensor]) -> Dict[str, float]:
        """``linear_mIoU``, ``linear_aAcc`` and ``knn_mAcc`` (%) of ``backbone`` as it is (the
        caller sets eval mode)."""
        train = self._features(backbone, normalise, self.train['images'])
        x = torch.cat([f.flatten(1).T for f in train])  # [P, C]
        y = torch.cat([
            self._grid(lab, f.shape[-2:]).flatten() for lab, f in zip(self.train['labels'], train)
        ])
        keep = balanced_indices(y, self.pixels_per_class, self.seed, self.ignore)
        layer = fit_linear_probe(x[keep], y[keep], self.num_classes)
        conf = torch.zeros(self.num_classes, self.num_classes, dtype=torch.long)
        for feat, label in zip(
                self._features(backbone, normalise, self.test['images']), self.test['labels']):
            logits = torch.einsum('kc,chw->khw', layer.weight, feat.float())
            logits = logits + layer.bias[:, None, None]
            up = F.interpolate(
                logits[None], size=label.shape, mode='bilinear', align_corners=False)[0]
            conf += confusion_matrix(
                up.argmax(0), torch.from_numpy(label), self.num_classes, self.ignore)
        linear = scores(conf)
        pred = knn_predict(
            self._embed(backbone, normalise, self.bank),
            self.bank_labels,
            self._embed(backbone, normalise, self.queries),
            k=self.k,
            num_classes=self.num_classes)
        knn = scores(confusion_matrix(pred, self.query_labels, self.num_classes, self.ignore))
        return dict(linear_mIoU=linear['mIoU'], linear_aAcc=linear['aAcc'], knn_mAcc=knn['mAcc'])
