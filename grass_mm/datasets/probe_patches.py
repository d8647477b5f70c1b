"""Small labelled patch sets for online probes: patches dominated by one class."""
import os
import os.path as osp
from typing import List, Tuple

import cv2
import mmcv
import numpy as np


def dominant_windows(label: np.ndarray,
                     size: int,
                     min_purity: float,
                     ignore_index: int = 255) -> List[Tuple[int, int, int]]:
    """Non-overlapping ``size`` px windows of a label map that one class covers enough of.

    A window is kept when its most frequent class covers at least ``min_purity`` of *all* its
    pixels (ignored pixels count against it).

    Returns:
        ``(y, x, class)`` of each kept window, row by row.
    """
    kept = []
    for y in range(0, label.shape[0] - size + 1, size):
        for x in range(0, label.shape[1] - size + 1, size):
            window = label[y:y + size, x:x + size]
            counts = np.bincount(window[window != ignore_index].ravel())
            if counts.size and counts.max() >= min_purity * window.size:
                kept.append((y, x, int(counts.argmax())))
    return kept


def dominant_class_patches(img_dir: str,
                           ann_dir: str,
                           patch_size: int = 128,
                           input_size: int = 64,
                           min_purity: float = 0.75,
                           resize: int = 512,
                           ignore_index: int = 255,
                           max_patches: int = 2000,
                           seed: int = 0) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut a grid of patches from labelled images; keep those one class covers enough of.

    Images in ``img_dir`` pair with label maps in ``ann_dir`` by file stem (mmseg's layout).
    Each image is first resized so its long side is ``resize`` (the segmentation configs'
    scale), patches of ``patch_size`` are cut without overlap, a patch is kept when its most
    frequent class covers at least ``min_purity`` of its pixels (ignored pixels count against
    it), and kept patches are resized to ``input_size``.

    Returns:
        ``(patches uint8 [N, s, s, 3] BGR, labels int64 [N], image index int64 [N])``; at most
        ``max_patches``, drawn reproducibly from ``seed`` when there are more.

    Raises:
        FileNotFoundError: a folder is missing, or an image has no label map.
        ValueError: no patch passes ``min_purity``.
    """
    for key, folder in (('img_dir', img_dir), ('ann_dir', ann_dir)):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{key}: no folder {folder}')
    labels_by_stem = {osp.splitext(f)[0]: f for f in os.listdir(ann_dir)}
    patches, labels, owners = [], [], []
    for index, name in enumerate(sorted(os.listdir(img_dir))):
        stem = osp.splitext(name)[0]
        if stem not in labels_by_stem:
            raise FileNotFoundError(f'{osp.join(img_dir, name)} has no label map in {ann_dir}')
        image = mmcv.imread(osp.join(img_dir, name), flag='color')
        label = mmcv.imread(osp.join(ann_dir, labels_by_stem[stem]), flag='unchanged')
        if label.ndim != 2 or label.shape != image.shape[:2]:
            raise ValueError(f'{osp.join(ann_dir, labels_by_stem[stem])}: expected a '
                             f'{image.shape[:2]} single-channel label map, got {label.shape}')
        scale = resize / max(image.shape[:2])
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        label = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
        for y, x, cls in dominant_windows(label, patch_size, min_purity, ignore_index):
            patches.append(
                cv2.resize(
                    image[y:y + patch_size, x:x + patch_size], (input_size, input_size),
                    interpolation=cv2.INTER_AREA))
            labels.append(cls)
            owners.append(index)
    if not patches:
        raise ValueError(f'no {patch_size} px patch of {img_dir} has one class covering '
                         f'{min_purity:.0%} of it; lower min_purity or patch_size')
    keep = np.arange(len(patches))
    if len(keep) > max_patches:
        keep = np.sort(np.random.default_rng(seed).choice(len(keep), max_patches, replace=False))
    return (np.stack(patches)[keep], np.array(labels, dtype=np.int64)[keep],
            np.array(owners, dtype=np.int64)[keep])
