"""The probes' labelled images: a split read from an mmseg dataset config (or the Dubai tiles in
their original layout), and the windows one class dominates (the k-NN read-out's samples)."""
import copy
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from grass_mm.datasets.probe_patches import dominant_windows


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
        (``[H, W]`` int64 each), ``classes`` and ``ignore_index``; the Dubai preset adds
        ``groups``, each image's tile (the leave-one-tile-out folds).

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
            groups=[s['tile'] for s in samples],
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


def class_windows(images: Sequence[np.ndarray],
                  labels: Sequence[np.ndarray],
                  patch: int,
                  min_purity: float,
                  ignore_index: int = 255) -> Tuple[np.ndarray, torch.Tensor, List[int]]:
    """Non-overlapping ``patch`` windows one class covers ``min_purity`` of, image by image.

    Returns:
        ``(windows [N, patch, patch, 3], labels [N], owners)``: ``owners[i]`` is the index of the
        image window ``i`` was cut from.
    """
    windows, classes, owners = [], [], []
    for i, (image, label) in enumerate(zip(images, labels)):
        for y, x, c in dominant_windows(label, patch, min_purity, ignore_index):
            windows.append(image[y:y + patch, x:x + patch])
            classes.append(c)
            owners.append(i)
    if not windows:
        return np.zeros((0, patch, patch, 3), np.uint8), torch.zeros(0, dtype=torch.long), []
    return np.stack(windows), torch.tensor(classes), owners
