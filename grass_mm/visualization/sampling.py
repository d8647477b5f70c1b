"""Draw GraSS's sampling decision: view, gradient map with threshold contour and box, crop."""
from typing import Sequence

import cv2
import numpy as np
import torch
from torch import Tensor

from grass_mm.models.utils.regions import region_mask


def denormalize(images: Tensor, mean: Tensor, std: Tensor) -> np.ndarray:
    """Undo ``SelfSupDataPreprocessor``'s normalisation: ``[N, C, H, W]`` → uint8 ``[N, H, W, 3]``.

    The preprocessor's output channel order is kept (RGB for the GraSS configs, ``to_rgb=True``).
    """
    images = images.detach().float().cpu() * std.reshape(1, -1, 1, 1).cpu() + mean.reshape(
        1, -1, 1, 1).cpu()
    if images.size(1) != 3:
        # Multispectral (any dtype): the first three bands (grey for fewer), each stretched
        # between its 2nd and 98th percentile over the batch, for display only.
        images = images[:, :3] if images.size(1) >= 3 else images[:, :1].repeat(1, 3, 1, 1)
        flat = images.transpose(0, 1).flatten(1)
        low = flat.quantile(0.02, dim=1).view(1, 3, 1, 1)
        high = flat.quantile(0.98, dim=1).view(1, 3, 1, 1)
        images = (images - low) / (high - low).clamp_min(1e-6) * 255
    return images.clamp(0, 255).round().byte().permute(0, 2, 3, 1).numpy()


def render_sampling(views: np.ndarray,
                    maps: Tensor,
                    boxes: Tensor,
                    crops: np.ndarray,
                    threshold_ratio: float = 0.5,
                    alpha: float = 0.5) -> np.ndarray:
    """One row per view: the view with its box | gradient heat-map, contour and box | the crop.

    Args:
        views: uint8 RGB views ``[K, H, W, 3]``.
        maps: Normalised gradient maps ``[K, h, w]`` (all-NaN where no region was found).
        boxes: Chosen boxes ``[K, 4]`` as ``(x1, y1, x2, y2)`` in view pixels.
        crops: uint8 RGB crops ``[K, H, W, 3]`` (the box resized back to the view size).
        threshold_ratio: The model's threshold ratio; the contour is drawn at it.
        alpha: Heat-map opacity.

    Returns:
        uint8 RGB image of ``K`` rows of three panels, separated by white lines.
    """
    rows = []
    height, width = views.shape[1:3]
    maps = maps.float().cpu()
    ups, masks = region_mask(maps, (height, width), threshold_ratio)
    for view, grad, up, mask, box, crop in zip(views, maps.numpy(), ups.numpy(), masks.numpy(),
                                               boxes.cpu().numpy(), crops):
        x1, y1, x2, y2 = (int(v) for v in box)
        boxed = np.ascontiguousarray(view).copy()
        cv2.rectangle(boxed, (x1, y1), (x2 - 1, y2 - 1), (255, 255, 0), 1)
        overlay = np.ascontiguousarray(view).copy()
        if np.isfinite(grad).all():
            low, high = float(up.min()), float(up.max())
            scaled = np.uint8(255 * (up - low) / max(high - low, 1e-12))
            heat = cv2.applyColorMap(scaled, cv2.COLORMAP_JET)[..., ::-1]  # BGR → RGB
            overlay = cv2.addWeighted(overlay, 1 - alpha, heat, alpha, 0)
            # The sampler's own mask, so the contour is the region it chose from.
            contours, _ = cv2.findContours(np.uint8(mask), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(overlay, contours, -1, (255, 255, 255), 1)
        else:  # degenerate map: the whole view is used
            cv2.putText(overlay, 'no region', (2, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 0, 0),
                        1)
        cv2.rectangle(overlay, (x1, y1), (x2 - 1, y2 - 1), (255, 255, 0), 1)
        rows.append(_hstack([boxed, overlay, np.ascontiguousarray(crop)]))
    return _vstack(rows)


def _hstack(images: Sequence[np.ndarray], gap: int = 2) -> np.ndarray:
    sep = np.full((images[0].shape[0], gap, 3), 255, np.uint8)
    return np.concatenate([part for img in images for part in (img, sep)][:-1], axis=1)


def _vstack(images: Sequence[np.ndarray], gap: int = 2) -> np.ndarray:
    sep = np.full((gap, images[0].shape[1], 3), 255, np.uint8)
    return np.concatenate([part for img in images for part in (img, sep)][:-1], axis=0)


def sampling_grid(model: torch.nn.Module, samples: dict) -> np.ndarray:
    """Render a GraSS model's ``last_samples`` with its own preprocessor and threshold."""
    pre = model.data_preprocessor
    return render_sampling(
        denormalize(samples['views'], pre.mean, pre.std), samples['maps'], samples['boxes'],
        denormalize(samples['crops'], pre.mean, pre.std), model.threshold_ratio)
