"""Gradient map → box → crop: the sampling half of GraSS, batched over views.

The rules follow the reference implementation as described in the method doc
(docs/en/advanced_guides/method.md): maps are normalised by their own maximum, upsampled
bilinearly to the view size, thresholded at ``min + ratio * (max - min)``, split into
8-connected components, and the component whose bounding box holds the highest map value wins
(ties: the later component in raster order). The box is cropped out of the view and resized
back with nearest interpolation.

Degenerate maps have one defined behaviour everywhere: :func:`normalize_maps` turns a map whose
maximum is not positive, or that holds NaN/inf, into an all-NaN map, and :func:`select_regions`
returns the whole view ``(0, 0, W, H)`` for it ("no region found"), so the view is trained on
unchanged. That is the reference's behaviour for ``max == 0`` (NaN), extended to ``max < 0``
(where the reference's division silently flips the ordering) and to NaN/inf values. The crop
path (and the random-box control's placement) is :mod:`.boxes`.
"""
from typing import Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def check_sampling_args(threshold_ratio: float = 0.5, crop_interpolation: str = 'nearest') -> None:
    """The one check of the two sampling settings (samplers check them when built, the functions
    when called)."""
    if not 0.0 <= threshold_ratio < 1.0:
        raise ValueError(f'threshold_ratio must be in [0, 1), got {threshold_ratio}')
    if crop_interpolation not in ('nearest', 'bilinear'):
        raise ValueError(
            "crop_interpolation (the crop mode) must be one of ('nearest', 'bilinear'), "
            f'got {crop_interpolation!r}')


def normalize_maps(maps: Tensor) -> Tensor:
    """Divide each map by its own maximum (no min subtraction), as the reference does.

    Args:
        maps: Raw gradient maps ``[N, h, w]``.

    Returns:
        Normalised maps ``[N, h, w]`` in float32 or wider. A map whose maximum is ``<= 0``, or
        that holds a NaN or inf, becomes all-NaN, which :func:`select_regions` maps to the whole
        view.
    """
    maps = maps if maps.is_floating_point() else maps.float()
    peak = maps.amax(dim=(1, 2), keepdim=True)
    valid = torch.isfinite(maps).all(dim=2, keepdim=True).all(dim=1, keepdim=True) & (peak > 0)
    return torch.where(valid, maps / peak.clamp_min(torch.finfo(maps.dtype).tiny), torch.nan)


def _select_numpy(up: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
    """Per-map selection with scipy on CPU: label, bounding boxes, the box holding the peak."""
    from scipy import ndimage
    structure = np.ones((3, 3), dtype=bool)  # 8-connectivity
    n, height, width = up.shape
    boxes = np.tile(np.array([0, 0, width, height], dtype=np.int64), (n, 1))
    found = np.zeros(n, dtype=bool)
    for i, (values, binary) in enumerate(zip(up.numpy(), mask.numpy())):
        labels, num = ndimage.label(binary, structure=structure)  # raster order
        if num == 0:
            continue
        peak = values == values.max()
        for rows, cols in ndimage.find_objects(labels):
            if peak[rows, cols].any():  # later components win ties
                boxes[i] = (cols.start, rows.start, cols.stop, rows.stop)
                found[i] = True
    return torch.from_numpy(boxes), torch.from_numpy(found)


def _label_torch(mask: Tensor) -> Tensor:
    """8-connected components by min-label propagation with pointer jumping (any device).

    Returns LongTensor ``[N, H, W]``: -1 for background, else a component id, unique across the
    batch and growing with the map index, then with the raster position of the component's first
    pixel (the order of ``scipy.ndimage.label``).
    """
    n, h, w = mask.shape
    size = h * w
    flat_mask = mask.view(n, size)
    index = torch.arange(size, device=mask.device, dtype=torch.float32).view(1, size)
    sentinel = float(size)  # background; float32 holds every index exactly below 2**24
    # Column `size` is a sentinel slot so that background labels can be used as indices.
    labels = torch.cat([torch.where(flat_mask, index, sentinel),
                        index.new_full((n, 1), sentinel)],
                       dim=1)
    for _ in range(size):
        cur = labels[:, :size]
        # Smallest label in each 3x3 neighbourhood (8-connectivity).
        nbr = -F.max_pool2d(-cur.view(n, 1, h, w), 3, stride=1, padding=1).view(n, size)
        nbr = torch.where(flat_mask, nbr, sentinel)
        new = labels.clone()
        new[:, :size] = torch.minimum(cur, nbr)
        # Hooking: a pixel also lowers the label of its current root (union-find style)...
        new.scatter_reduce_(1, cur.long(), nbr, 'amin')
        # ...and pointer jumping shortens the chains; together they converge in a few rounds.
        for _ in range(2):
            new[:, :size] = torch.gather(new, 1, new[:, :size].long())
        if torch.equal(new, labels):
            break
        labels = new
    labels = labels[:, :size].view(n, h, w)
    index = index.view(1, h, w)
    # Roots (label == own index) are numbered in (map, raster) order; pixels take their root's id.
    roots = (mask & (labels == index)).view(-1)
    ids = torch.cumsum(roots.long(), 0) - 1
    flat_root = labels.view(n, size).long().clamp_max(size - 1)
    flat_root = flat_root + torch.arange(n, device=mask.device).view(n, 1) * size
    return torch.where(mask.view(n, size), ids[flat_root], -1).view(n, h, w)


def _select_torch(up: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
    """Batched selection in torch (for GPUs): the same rules as :func:`_select_numpy`."""
    n, height, width = up.shape
    device = up.device
    boxes = torch.tensor([0, 0, width, height], device=device).repeat(n, 1)
    where, ys, xs = torch.nonzero(mask, as_tuple=True)
    if ys.numel() == 0:
        return boxes, torch.zeros(n, dtype=torch.bool, device=device)
    comp = _label_torch(mask)[mask]
    num = int(comp.max()) + 1
    owner = torch.zeros(num, dtype=torch.long, device=device).scatter_(0, comp, where)

    def reduce(values: Tensor, how: str, init: int) -> Tensor:
        out = torch.full((num, ), init, dtype=torch.long, device=device)
        return out.scatter_reduce(0, comp, values, how, include_self=True)

    x1, y1 = reduce(xs, 'amin', width), reduce(ys, 'amin', height)
    x2, y2 = reduce(xs, 'amax', -1) + 1, reduce(ys, 'amax', -1) + 1
    # Count the map's peak pixels inside each box with an integral image.
    is_peak = up == up.amax(dim=(1, 2), keepdim=True)
    integral = F.pad(
        is_peak.cumsum(1, dtype=torch.int32).cumsum(2, dtype=torch.int32),
        (1, 0, 1, 0)).view(n, -1)

    def at(yy: Tensor, xx: Tensor) -> Tensor:
        return integral[owner, yy * (width + 1) + xx]

    peaks = at(y2, x2) - at(y1, x2) - at(y2, x1) + at(y1, x1)
    # Among boxes holding a peak, take the later component (ids grow in raster order).
    ids = torch.where(peaks > 0, torch.arange(num, device=device), -1)
    best = torch.full((n, ), -1, dtype=torch.long, device=device)
    best = best.scatter_reduce(0, owner, ids, 'amax')
    found = best >= 0
    pick = best[found]
    boxes[found] = torch.stack([x1[pick], y1[pick], x2[pick], y2[pick]], dim=1)
    return boxes, found


def region_mask(maps: Tensor,
                image_size: Sequence[int],
                threshold_ratio: float = 0.5) -> Tuple[Tensor, Tensor]:
    """The one thresholding rule: the maps upsampled bilinearly to ``image_size`` ``[N, H, W]``
    and the mask ``up > min + threshold_ratio * (max - min)`` (strictly greater, like
    ``cv2.THRESH_BINARY``), all False for a map with NaN/inf. The sampler and its picture
    (:func:`grass_mm.visualization.render_sampling`) both read it."""
    n = maps.size(0)
    maps = maps.detach().float()
    valid = torch.isfinite(maps).view(n, -1).all(dim=1).view(n, 1, 1)
    up = F.interpolate(
        torch.where(valid, maps, 0.0).unsqueeze(1),
        size=tuple(image_size),
        mode='bilinear',
        align_corners=False).squeeze(1)
    low, high = up.amin(dim=(1, 2), keepdim=True), up.amax(dim=(1, 2), keepdim=True)
    return up, (up > low + threshold_ratio * (high - low)) & valid


def select_regions(maps: Tensor,
                   image_size: Sequence[int],
                   threshold_ratio: float = 0.5,
                   *,
                   return_found: bool = False,
                   backend: str = 'auto') -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Choose one box per gradient map, following the reference rules.

    Each map is upsampled and thresholded by :func:`region_mask` and split into 8-connected
    components. The component whose bounding box holds the highest map value is chosen; where
    several do, the later one in raster order. A map with no component (all values equal) or
    with NaN/inf values (see :func:`normalize_maps`) gets the whole image.

    Args:
        maps: Normalised maps ``[N, h, w]``.
        image_size: ``(H, W)`` of the views the boxes are for.
        threshold_ratio: Where between the map's min and max the threshold lies (0.5 in the
            reference).
        return_found: Also return a BoolTensor ``[N]``, False where no region was found.
        backend: ``'numpy'`` (scipy, per map; fast on CPU), ``'torch'`` (batched; fast on GPU)
            or ``'auto'`` (by the device of ``maps``). Both give identical boxes.

    Returns:
        LongTensor ``[N, 4]`` of boxes ``(x1, y1, x2, y2)`` in image pixels, ``x2``/``y2``
        exclusive, on the device of ``maps``; and, with ``return_found``, the found mask.
    """
    if maps.dim() != 3:
        raise ValueError(f'maps must be [N, h, w], got shape {tuple(maps.shape)}')
    check_sampling_args(threshold_ratio=threshold_ratio)
    if backend == 'auto':
        backend = 'numpy' if maps.device.type == 'cpu' else 'torch'
    if backend not in ('numpy', 'torch'):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'torch', got {backend!r}")
    up, mask = region_mask(maps, image_size, threshold_ratio)
    if backend == 'numpy':
        boxes, found = _select_numpy(up.cpu(), mask.cpu())
        boxes, found = boxes.to(maps.device), found.to(maps.device)
    else:
        boxes, found = _select_torch(up, mask)
    return (boxes, found) if return_found else boxes
