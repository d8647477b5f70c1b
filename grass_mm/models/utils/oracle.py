"""Oracle box samplers: boxes placed by the labels, to bound what any guide could give.

**Diagnostics, not a method**: they read each view's ground-truth label map (``view_labels``,
:mod:`grass_mm.datasets.transforms.view_labels`), which no user has at pretraining time. They
answer the two questions behind GraSS's claim, apart:

- :class:`PlaceOracleSampler` (``place``): each view's GS box size, moved to where the labels
  make it purest. Only the place differs from GS: the most a perfect guide gains at GS's sizes.
- :class:`SingleOracleSampler` (``single``): the largest box of the GS box's aspect ratio whose
  best placement reaches ``purity`` (one dominant object), placed there.
- :class:`SingleSizeRandomSampler`: the ``single`` oracle's sizes at random places (shuffled
  across views, as :class:`~grass_mm.models.utils.RandomBoxSampler` does for GS), so that
  "smaller crops" and "purer crops" are told apart.

Purity is the dominant class's share of the labelled pixels in a box (as
:func:`grass_mm.evaluation.purity.box_purity`). A view with no labelled pixel (the Dubai
pretraining data's unlabelled scenes) is cropped in every oracle arm as the random control
crops: its GS box size at a uniformly random place (the size-matched control then shuffles
those sizes with the others).
"""
from typing import Optional, Sequence, Tuple

import torch
from mmpretrain.registry import MODELS
from torch import Tensor

from .boxes import crop_and_resize, place_boxes, random_positions
from .sampler import GradientBoxSampler, Sampling

IGNORE_INDEX = 255


def class_integrals(label: Tensor, ignore_index: int = IGNORE_INDEX) -> Optional[Tensor]:
    """Integral images of each class's pixels in one label map.

    Args:
        label: ``[H, W]`` integer map.

    Returns:
        ``[K, H + 1, W + 1]`` float64 counts for the K classes present (None: no labelled pixel).
    """
    label = label.long()
    classes = torch.unique(label[label != ignore_index])
    if classes.numel() == 0:
        return None
    onehot = (label[None] == classes[:, None, None]).double()  # [K, H, W]
    return torch.nn.functional.pad(onehot.cumsum(1).cumsum(2), (1, 0, 1, 0))


def window_purity(integrals: Tensor, w: int, h: int) -> Tensor:
    """Purity of every ``w`` x ``h`` window (NaN where it holds no labelled pixel).

    Returns:
        ``[H - h + 1, W - w + 1]``: entry ``[y, x]`` is the window with top-left ``(x, y)``.
    """
    i = integrals
    counts = i[:, h:, w:] - i[:, :-h, w:] - i[:, h:, :-w] + i[:, :-h, :-w]  # [K, y, x]
    labelled = counts.sum(0)
    return torch.where(labelled > 0.5, counts.amax(0) / labelled.clamp_min(1), torch.nan)


def best_place(purity: Tensor, generator: Optional[torch.Generator] = None) -> Tuple[int, int]:
    """Top-left ``(x, y)`` of the purest window; ties broken at random (no corner bias)."""
    best = torch.nan_to_num(purity, nan=-1.0)
    ys, xs = torch.nonzero(best >= best.max() - 1e-9, as_tuple=True)
    k = int(torch.randint(len(ys), (1, ), generator=generator))
    return int(xs[k]), int(ys[k])


def candidate_sizes(aspect: float, image_size: Sequence[int], shrink: float,
                    min_side: float) -> list:
    """Box sizes ``(w, h)`` of one aspect ratio, from the largest in the image down.

    Each step multiplies both sides by ``shrink``; the last size has its shorter side at least
    ``min_side`` pixels (and at least one pixel).
    """
    height, width = int(image_size[0]), int(image_size[1])
    w0, h0 = (width, width / aspect) if aspect >= width / height else (height * aspect, height)
    sizes, f = [], 1.0
    while True:
        w, h = max(1, min(width, round(w0 * f))), max(1, min(height, round(h0 * f)))
        if sizes and min(w, h) < min_side:
            break
        if not sizes or sizes[-1] != (w, h):
            sizes.append((w, h))
        if min(w, h) <= 1:
            break
        f *= shrink
    return sizes


class _LabelSampler(GradientBoxSampler):
    """Shared by the oracles: the GS boxes first (guide pass, threshold), then the labels."""

    reads_labels = True

    def __init__(self,
                 threshold_ratio: float = 0.5,
                 crop_interpolation: str = 'nearest',
                 ignore_index: int = IGNORE_INDEX) -> None:
        super().__init__(threshold_ratio, crop_interpolation)
        self.ignore_index = ignore_index

    def label_boxes(self, gs_boxes: Tensor, labels: Tensor) -> Tensor:
        """Each view's box by its label map; a view without labels keeps its GS box's size at a
        uniformly random place."""
        out = gs_boxes.clone().cpu()
        size = labels.shape[-2:]
        for i, (box, label) in enumerate(zip(gs_boxes.cpu(), labels)):
            integrals = class_integrals(label, self.ignore_index)
            if integrals is None:
                w, h = box[2] - box[0], box[3] - box[1]
                out[i] = place_boxes(w, h, size, torch.rand(2, dtype=torch.float64))
                continue
            w, h, purity = self.box_size(box, integrals, size)
            x, y = best_place(purity)
            out[i] = torch.tensor([x, y, x + w, y + h])
        return out

    def box_size(self, box: Tensor, integrals: Tensor,
                 image_size: Sequence[int]) -> Tuple[int, int, Tensor]:
        """The oracle's box width and height for a view, with the purity of every place."""
        raise NotImplementedError

    def forward(self, views: Tensor, maps: Tensor, labels: Optional[Tensor] = None) -> Sampling:
        """Sample from ``views`` ``[2N, C, H, W]`` by their labels ``[2N, H, W]``."""
        if labels is None or tuple(labels.shape) != (views.size(0), *views.shape[-2:]):
            got = None if labels is None else tuple(labels.shape)
            raise ValueError(
                f'{type(self).__name__} reads label maps: expected view_labels of shape '
                f'{(views.size(0), *views.shape[-2:])}, got {got}. The pretraining pipeline '
                "must load them (LoadViewLabel, LabelledMultiView, PackInputs(algorithm_keys="
                "['view_labels'])), as the grass-oracle-* configs do")
        gs_boxes, found = self.boxes(maps, views.shape[-2:])
        boxes = self.label_boxes(gs_boxes, labels.cpu()).to(views.device)
        crops = crop_and_resize(views, boxes, mode=self.crop_interpolation)
        return Sampling(maps, boxes, found, crops)


@MODELS.register_module()
class PlaceOracleSampler(_LabelSampler):
    """``place``: each GS box's width and height where the labels make it purest.

    Args:
        threshold_ratio (float): GS's threshold (the box sizes are GS's).
        crop_interpolation (str): ``'nearest'`` or ``'bilinear'``.
        ignore_index (int): The label of unlabelled pixels.
    """

    def box_size(self, box: Tensor, integrals: Tensor,
                 image_size: Sequence[int]) -> Tuple[int, int, Tensor]:
        w, h = int(box[2] - box[0]), int(box[3] - box[1])
        return w, h, window_purity(integrals, w, h)


@MODELS.register_module()
class SingleOracleSampler(_LabelSampler):
    """``single``: the largest box of the GS box's aspect ratio that can be ``purity`` pure.

    Sizes shrink from the largest box of that aspect ratio in the view by ``shrink`` per step
    (:func:`candidate_sizes`); the first size whose best placement reaches ``purity`` is placed
    there. If none does, the smallest size at its purest place.

    Args:
        purity (float): Dominant-class share a box must reach, in (0, 1].
        shrink (float): Side factor between candidate sizes, in (0, 1).
        min_size (float): The smallest candidate's shorter side, as a share of the view's
            shorter side.
        threshold_ratio, crop_interpolation, ignore_index: As :class:`PlaceOracleSampler`.
    """

    def __init__(self,
                 purity: float = 0.9,
                 shrink: float = 0.9,
                 min_size: float = 0.125,
                 threshold_ratio: float = 0.5,
                 crop_interpolation: str = 'nearest',
                 ignore_index: int = IGNORE_INDEX) -> None:
        super().__init__(threshold_ratio, crop_interpolation, ignore_index)
        name = type(self).__name__
        for key, value in (('purity', purity), ('min_size', min_size)):
            if not 0.0 < value <= 1.0:
                raise ValueError(f'{name}: {key} must be in (0, 1], got {value}')
        if not 0.0 < shrink < 1.0:
            raise ValueError(f'{name}: shrink must be in (0, 1), got {shrink}')
        self.purity, self.shrink, self.min_size = purity, shrink, min_size

    def box_size(self, box: Tensor, integrals: Tensor,
                 image_size: Sequence[int]) -> Tuple[int, int, Tensor]:
        aspect = float(box[2] - box[0]) / float(box[3] - box[1])
        min_side = self.min_size * min(image_size)
        for w, h in candidate_sizes(aspect, image_size, self.shrink, min_side):
            purity = window_purity(integrals, w, h)
            if torch.nan_to_num(purity, nan=-1.0).max() >= self.purity - 1e-9:
                break  # the largest size that reaches it; else the smallest one
        return w, h, purity


@MODELS.register_module()
class SingleSizeRandomSampler(SingleOracleSampler):
    """The ``single`` oracle's box sizes, shuffled across views, at random places.

    The same guide pass, label reading and crop path as :class:`SingleOracleSampler`; only the
    place is random (:func:`~grass_mm.models.utils.random_positions`).
    """

    def label_boxes(self, gs_boxes: Tensor, labels: Tensor) -> Tensor:
        return random_positions(super().label_boxes(gs_boxes, labels), labels.shape[-2:])


__all__ = [
    'PlaceOracleSampler', 'SingleOracleSampler', 'SingleSizeRandomSampler', 'candidate_sizes',
    'class_integrals', 'window_purity'
]
