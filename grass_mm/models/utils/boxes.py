"""Boxes → crops: the random-box control's placement (:func:`random_positions`,
:func:`place_boxes`) and the crop path (:func:`crop_and_resize`) that every sampler ends in.
The boxes come from :mod:`.regions` (the gradient's) or from an oracle or control sampler."""
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from .regions import check_sampling_args


def random_positions(
        boxes: Tensor,
        image_size: Sequence[int],
        found: Optional[Tensor] = None,
        generator: Optional[torch.Generator] = None) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """The random-box control: the same box sizes, shuffled across views, at random places.

    The widths and heights of ``boxes`` are permuted across the batch (so a view never gets the
    size its own map chose) and each box is placed uniformly at random inside the image. The
    sizes of the batch, and so their distribution, are exactly those of the gradient boxes; the
    positions never depend on a map. This tells "cropping to this box size helps" apart from
    "the gradient finds the right place".

    Args:
        boxes: LongTensor ``[N, 4]`` of ``(x1, y1, x2, y2)`` (e.g. from :func:`select_regions`).
        image_size: ``(H, W)`` of the views.
        found: Optional BoolTensor ``[N]``; permuted with the sizes and returned alongside.
        generator: Optional random generator (CPU); the global one by default.

    Returns:
        LongTensor ``[N, 4]`` of random boxes on the device of ``boxes`` (and ``found``
        permuted, when given).
    """
    height, width = int(image_size[0]), int(image_size[1])
    n = boxes.size(0)
    order = torch.randperm(n, generator=generator).to(boxes.device)
    w = (boxes[:, 2] - boxes[:, 0])[order]  # [N]
    h = (boxes[:, 3] - boxes[:, 1])[order]  # [N]
    u = torch.rand(n, 2, generator=generator, dtype=torch.float64).to(boxes.device)
    out = place_boxes(w, h, (height, width), u)
    return out if found is None else (out, found[order])


def place_boxes(w: Tensor, h: Tensor, image_size: Sequence[int], u: Tensor) -> Tensor:
    """Boxes of widths ``w`` and heights ``h`` (any one shape) placed inside the image by the
    uniform draws ``u`` (that shape + ``[2]``, in [0, 1)): ``x1`` uniform in ``[0, W - w]``.

    Returns:
        LongTensor of that shape + ``[4]``, ``(x1, y1, x2, y2)`` with ``x2``/``y2`` exclusive.
    """
    height, width = int(image_size[0]), int(image_size[1])
    x1 = (u[..., 0] * (width - w + 1)).long().clamp_max(width - w)
    y1 = (u[..., 1] * (height - h + 1)).long().clamp_max(height - h)
    return torch.stack([x1, y1, x1 + w, y1 + h], dim=-1)


def crop_and_resize(images: Tensor,
                    boxes: Tensor,
                    size: Sequence[int] = None,
                    mode: str = 'nearest') -> Tensor:
    """Crop one box out of each image and resize it, in one batched gather.

    Matches ``F.interpolate(image[:, y1:y2, x1:x2][None], size, mode=mode)`` per image
    (``align_corners=False``); the aspect ratio is not kept, as in the reference.

    Args:
        images: ``[N, C, H, W]``.
        boxes: LongTensor ``[N, 4]`` of ``(x1, y1, x2, y2)``, ``x2``/``y2`` exclusive, each at
            least one pixel wide and high. A one-pixel box gives a constant crop.
        size: Output ``(H', W')``; defaults to the input size.
        mode: ``'nearest'`` (the reference) or ``'bilinear'``.

    Returns:
        ``[N, C, H', W']`` crops.
    """
    check_sampling_args(crop_interpolation=mode)
    n, _, height, width = images.shape
    out_h, out_w = (height, width) if size is None else (int(size[0]), int(size[1]))
    boxes = boxes.to(images.device).long()
    x1, y1, x2, y2 = boxes.unbind(1)
    if bool(((x2 <= x1) | (y2 <= y1) | (x1 < 0) | (y1 < 0) | (x2 > width) | (y2 > height)).any()):
        raise ValueError(f'boxes must lie in the {width}x{height} images and be non-empty')
    batch = torch.arange(n, device=images.device).view(n, 1, 1)

    def gather(yy: Tensor, xx: Tensor) -> Tensor:
        # Advanced indices around a slice put the gathered dims first: [N, H', W', C]. Back to
        # contiguous NCHW, so the training pass runs in the same memory format as SimCLR's.
        out = images[batch, :, yy.unsqueeze(2), xx.unsqueeze(1)]
        return out.permute(0, 3, 1, 2).contiguous()

    def axis(start: Tensor, length: Tensor, out: int) -> Tuple[Tensor, Tensor, Tensor]:
        pos = torch.arange(out, device=images.device, dtype=torch.float32).view(1, out)
        scale = (length.float() / out).view(n, 1)
        if mode == 'nearest':
            src = torch.floor(pos * scale).long().clamp_max(length.view(n, 1) - 1)
            return start.view(n, 1) + src, None, None
        src = ((pos + 0.5) * scale - 0.5).clamp_min(0)
        lo = src.floor().long().clamp_max(length.view(n, 1) - 1)
        hi = (lo + 1).clamp_max(length.view(n, 1) - 1)
        frac = (src - lo.float()).to(images.dtype)
        return start.view(n, 1) + lo, start.view(n, 1) + hi, frac

    ys0, ys1, fy = axis(y1, y2 - y1, out_h)
    xs0, xs1, fx = axis(x1, x2 - x1, out_w)
    if mode == 'nearest':
        return gather(ys0, xs0)
    fy, fx = fy.view(n, 1, out_h, 1), fx.view(n, 1, 1, out_w)
    top = gather(ys0, xs0) * (1 - fx) + gather(ys0, xs1) * fx
    bottom = gather(ys1, xs0) * (1 - fx) + gather(ys1, xs1) * fx
    return top * (1 - fy) + bottom * fy
