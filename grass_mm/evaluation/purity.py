"""Sampling purity: does a box hold one ground object? The paper's own hypothesis, measured.

GraSS's claim is that the region its gradient points at "tends to contain singular ground
objects". On labelled views that reads as: the majority class covers more of a gradient box
than of a random box of the same size. These functions score boxes against label maps; the
tool :mod:`grass_mm.apis.sampling_purity` calls :func:`measure_purity`, which feeds them
the model's own boxes.
"""
import os
import os.path as osp
from typing import Callable, Dict, Iterator, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
import torch
from torch import Tensor

from grass_mm.models.utils.boxes import place_boxes
from .probe.features import normalise_with


def box_purity(labels: Tensor, boxes: Tensor, ignore_index: int = 255) -> Tensor:
    """The majority class's share of the labelled pixels inside each box.

    Args:
        labels: ``[N, H, W]`` integer label maps (``ignore_index`` for unlabelled pixels).
        boxes: ``[N, 4]`` boxes ``(x1, y1, x2, y2)``, ``x2``/``y2`` exclusive; or ``[N, R, 4]``
            for ``R`` boxes per map.

    Returns:
        ``[N]`` (or ``[N, R]``) purities in ``[0, 1]``; NaN for a box with no labelled pixel.
    """
    single = boxes.dim() == 2
    boxes = boxes[:, None] if single else boxes
    out = torch.full(boxes.shape[:2], float('nan'), dtype=torch.float64)
    for i, label in enumerate(labels):
        for r, (x1, y1, x2, y2) in enumerate(boxes[i].tolist()):
            window = label[y1:y2, x1:x2]
            window = window[window != ignore_index]
            if window.numel():
                out[i, r] = torch.bincount(window.long().flatten()).max().item() / window.numel()
    return out[:, 0] if single else out


def random_boxes_like(boxes: Tensor,
                      image_size,
                      draws: int,
                      generator: Optional[torch.Generator] = None) -> Tensor:
    """``draws`` boxes per box, each of its width and height, placed uniformly in the image.

    Returns:
        ``[N, draws, 4]`` LongTensor.
    """
    w = (boxes[:, 2] - boxes[:, 0])[:, None].expand(-1, draws)  # [N, draws]
    h = (boxes[:, 3] - boxes[:, 1])[:, None].expand(-1, draws)
    u = torch.rand(len(boxes), draws, 2, generator=generator, dtype=torch.float64)
    return place_boxes(w, h, image_size, u)


def bootstrap_mean(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> Dict[str, object]:
    """Mean and 95 % percentile bootstrap interval of ``values`` (resampled with replacement)."""
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return dict(mean=float(values.mean()), ci95=[float(low), float(high)])


IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.tif', '.tiff')


def find_transform(node, name: Union[str, Sequence[str]]):
    """The first transform of type ``name`` (or of any of the names) anywhere in a config node."""
    names = (name, ) if isinstance(name, str) else tuple(name)
    if isinstance(node, dict):
        if node.get('type') in names:
            return node
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for child in node:
            found = find_transform(child, name)
            if found is not None:
                return found
    return None


def labelled_pairs(img_dir: str, ann_dir: str) -> list:
    """(image, label map) paths paired by file stem (mmseg's layout)."""
    labels = {osp.splitext(f)[0]: f for f in os.listdir(ann_dir)}
    pairs = []
    for name in sorted(os.listdir(img_dir)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMAGE_EXTS:
            if stem not in labels:
                raise FileNotFoundError(
                    f'{osp.join(img_dir, name)}: no label map {stem}.* in {ann_dir}')
            pairs.append((osp.join(img_dir, name), osp.join(ann_dir, labels[stem])))
    if not pairs:  # fewer images than drawn are drawn with replacement (a one-crop smoke run)
        raise ValueError(f'{img_dir}: no labelled image (expected images with label maps of the '
                         f'same stem in {ann_dir})')
    return pairs


def make_view(image: np.ndarray, label: np.ndarray, size: int, area: tuple,
              rng: np.random.Generator):
    """A random resized crop (torchvision's rule, ratio 3/4-4/3) and flip of image and label."""
    height, width = label.shape
    for _ in range(10):
        target = rng.uniform(*area) * height * width
        ratio = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        w, h = int(round(np.sqrt(target * ratio))), int(round(np.sqrt(target / ratio)))
        if 0 < w <= width and 0 < h <= height:
            break
    else:
        w, h = min(width, height), min(width, height)
    y, x = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
    img = cv2.resize(image[y:y + h, x:x + w], (size, size), interpolation=cv2.INTER_LINEAR)
    lab = cv2.resize(label[y:y + h, x:x + w], (size, size), interpolation=cv2.INTER_NEAREST)
    if rng.random() < 0.5:
        img, lab = img[:, ::-1], lab[:, ::-1]
    return img, lab


def purity_batches(model, pairs: list, size: int, area: tuple, num_images: int, batch: int,
                   ignore_labels: Sequence[int], seed: int,
                   log: Callable[[str], None]) -> Iterator[Tuple[Tensor, Tensor]]:
    """Batches of labelled views as a pretraining step cuts them: ``(views, labels)``.

    Two views per drawn image (:func:`make_view`), in SimCLR's interleaved order, normalised by
    the model's own data preprocessor; labels ``[2B, H, W]`` with ``ignore_labels`` as 255. The
    same ``seed`` gives the same views, so measurements of several guides are paired.

    Raises:
        ValueError: a label map that does not fit its image (named).
    """
    pre = model.data_preprocessor
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(pairs), num_images, replace=num_images > len(pairs))
    ignore = torch.tensor(list(ignore_labels))
    for start in range(0, len(chosen), batch):
        part = chosen[start:start + batch]
        if len(part) < 2:
            break
        images, labels = [], []
        for index in part:
            image = mmcv.imread(pairs[index][0], flag='color')
            label = mmcv.imread(pairs[index][1], flag='unchanged')
            if label is None or label.ndim != 2 or label.shape != image.shape[:2]:
                raise ValueError(f'{pairs[index][1]}: expected a {image.shape[:2]} '
                                 'single-channel label map')
            for _ in range(2):  # two views per image, in SimCLR's interleaved order
                img, lab = make_view(image, label, size, area, rng)
                images.append(np.ascontiguousarray(img))
                labels.append(np.ascontiguousarray(lab))
        # The model's own preprocessing (channel order, mean, std): [2B, C, H, W].
        views = normalise_with(pre)(torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2))
        target = torch.from_numpy(np.stack(labels)).long()  # [2B, H, W]
        target[torch.isin(target, ignore)] = 255
        yield views, target
        log(f'{min(start + batch, len(chosen))}/{len(chosen)} images')


class PurityRecord:
    """Per-view purities of one sampler's boxes, of random boxes of their sizes, of whole views."""

    def __init__(self, size: int, draws: int, generator: torch.Generator) -> None:
        self.size, self.draws, self.generator = size, draws, generator
        self.parts = dict(gs=[], random=[], whole=[], area=[], found=[])

    def add(self, target: Tensor, boxes: Tensor, found: Tensor) -> None:
        size = self.size
        boxes, found = boxes.cpu(), found.cpu()
        whole = torch.tensor([[0, 0, size, size]]).expand(len(boxes), 4)
        self.parts['gs'].append(box_purity(target, boxes))
        self.parts['random'].append(
            box_purity(target, random_boxes_like(boxes, (size, size), self.draws, self.generator)))
        self.parts['whole'].append(box_purity(target, whole))
        self.parts['area'].append(
            ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])) / size**2)
        self.parts['found'].append(found)

    def summary(self, seed: int) -> Tuple[dict, dict]:
        """The summary (see :func:`measure_purity`) and the per-view arrays behind it."""
        gs, rand, whole, found, area = (
            torch.cat(self.parts[k]).numpy() for k in ('gs', 'random', 'whole', 'found', 'area'))
        use = found & ~np.isnan(gs) & ~np.isnan(rand).all(1)
        rand_mean = np.nanmean(rand[use], axis=1)
        summary = dict(
            views=int(len(gs)),
            views_used=int(use.sum()),
            found_share=float(found.mean()),
            mean_box_area=float(area[found].mean()) if found.any() else None,
            purity_gs=float(gs[use].mean()),
            purity_random=float(rand_mean.mean()),
            purity_whole=float(np.nanmean(whole[use])),
            single_object_share=float((gs[use] >= 0.9).mean()),
            single_object_share_random=float((rand[use] >= 0.9).mean()),
            gs_minus_random=bootstrap_mean(gs[use] - rand_mean, seed=seed))
        return summary, dict(gs=gs, random=rand, whole=whole, use=use)


def measure_purity(model,
                   pairs: list,
                   size: int,
                   area: tuple,
                   num_images: int = 128,
                   batch: int = 32,
                   draws: int = 8,
                   ignore_labels: Sequence[int] = (255, ),
                   seed: int = 0,
                   log: Callable[[str], None] = print) -> Tuple[dict, dict]:
    """Purity of a GS model's boxes, of random boxes of the same size, and of the whole views.

    The views (:func:`purity_batches`) go through ``model.sample`` in train mode, as in a
    training step; an oracle sampler gets the views' labels.

    Returns:
        tuple: the summary (views, found share, box area, mean purities, single-object shares,
        ``gs_minus_random`` with its bootstrap interval) and the per-view arrays behind it
        (``gs``, ``random`` ``[V, draws]``, ``whole``, ``use``).

    Raises:
        ValueError: a label map that does not fit its image (named).
    """
    model.train()  # as in a training step (BN batch statistics)
    record = PurityRecord(size, draws, torch.Generator().manual_seed(seed))
    for views, target in purity_batches(model, pairs, size, area, num_images, batch, ignore_labels,
                                        seed, log):
        # An oracle sampler (a diagnostic) places its boxes by these same labels.
        sampled = model.sample(views, target if getattr(model, 'reads_labels', False) else None)
        record.add(target, sampled.boxes, sampled.found)
    return record.summary(seed)
