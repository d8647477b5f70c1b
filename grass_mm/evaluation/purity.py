"""Sampling purity: does a box hold one ground object? The paper's own hypothesis, measured.

GraSS's claim is that the region its gradient points at "tends to contain singular ground
objects". On labelled views that reads as: the majority class covers more of a gradient box
than of a random box of the same size. These functions score boxes against label maps; the
tool ``tools/analysis_tools/sampling_purity.py`` feeds them the model's own boxes.
"""
from typing import Dict, Optional

import numpy as np
import torch
from torch import Tensor


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
    height, width = int(image_size[0]), int(image_size[1])
    w = (boxes[:, 2] - boxes[:, 0])[:, None]  # [N, 1]
    h = (boxes[:, 3] - boxes[:, 1])[:, None]
    u = torch.rand(len(boxes), draws, 2, generator=generator, dtype=torch.float64)
    x1 = (u[..., 0] * (width - w + 1)).long().clamp_max(width - w)
    y1 = (u[..., 1] * (height - h + 1)).long().clamp_max(height - h)
    return torch.stack([x1, y1, x1 + w, y1 + h], dim=-1)


def bootstrap_mean(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> Dict[str, object]:
    """Mean and 95 % percentile bootstrap interval of ``values`` (resampled with replacement)."""
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return dict(mean=float(values.mean()), ci95=[float(low), float(high)])
