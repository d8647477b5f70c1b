"""Gradient-guided sampling as a component: guide pass → maps → boxes → crops.

Any two-view self-supervised algorithm can use it (``GradientGuidedMixin`` wires it into GraSS,
GSMoCoV2, GSBYOL and GSDenseCL). The algorithm supplies its own loss as a function of the online
backbone's last feature maps; :func:`guide_maps` turns that loss into one Grad-CAM map per view, and
a box sampler turns the maps into boxes and crops.
"""
from typing import Callable, List, NamedTuple, Sequence, Tuple

import torch
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from .boxes import crop_and_resize, random_positions
from .regions import check_sampling_args, normalize_maps, select_regions


class Sampling(NamedTuple):
    """What one GS step sampled, view by view (the views interleaved: 2i and 2i+1 are a pair;
    all detached but ``crops``)."""
    maps: Tensor  # [2N, h, w] normalised gradient maps (all-NaN: degenerate)
    boxes: Tensor  # [2N, 4] (x1, y1, x2, y2), x2/y2 exclusive, in view pixels
    found: Tensor  # [2N] bool; False where the whole view was kept
    crops: Tensor  # [2N, C, H, W] the boxes cut out and resized back


def guide_maps(backbone: nn.Module,
               batches: Sequence[Tensor],
               loss_fn: Callable[[List[Tensor]], Tensor],
               guide: str = 'efficient') -> List[Tensor]:
    """Grad-CAM maps (without ReLU) of a loss w.r.t. the backbone's last feature maps.

    ``loss_fn`` receives the last feature map of each batch, ``[B, C, h, w]`` each, and returns
    the algorithm's loss computed from them (targets from momentum encoders or queues must be
    computed beforehand, without gradient). Each map is the channel mean of ``A * dL/dA`` averaged
    over space, i.e. Grad-CAM's weights times the feature map.

    Args:
        backbone: The online backbone; each batch goes through it in one call, in train mode.
        batches: Image batches ``[B, C, H, W]``, passed to the backbone one by one (as the
            algorithm's own loss does, so that batch-norm sees the same batches).
        loss_fn: Feature maps → scalar loss.
        guide: ``'efficient'``: the backbone runs under ``no_grad``, its last maps become leaves
            and only the rest of the loss is differentiated (one extra forward). ``'reference'``:
            a full backward through the backbone whose parameter gradients are thrown away. Both
            give the same maps.

    Returns:
        One normalised map ``[B, h, w]`` per batch, detached, at least float32
        (:func:`normalize_maps`: all-NaN for a degenerate map).
    """
    if guide == 'efficient':
        with torch.no_grad():
            feats = [backbone(x)[-1] for x in batches]
        # At least fp32, no autocast: tiny guide gradients would underflow in fp16.
        leaves = [f.to(torch.promote_types(f.dtype, torch.float32)).requires_grad_() for f in feats]
        with torch.enable_grad(), torch.autocast(feats[0].device.type, enabled=False):
            grads = torch.autograd.grad(loss_fn(leaves), leaves, allow_unused=True)
    elif guide == 'reference':
        with torch.enable_grad():
            feats = [backbone(x)[-1] for x in batches]
            params = [p for p in backbone.parameters() if p.requires_grad]
            # Parameter gradients are returned, not accumulated: the optimiser only ever sees
            # the training pass.
            grads = torch.autograd.grad(
                loss_fn(feats), [*feats, *params], allow_unused=True)[:len(feats)]
    else:
        raise ValueError(f"guide must be 'efficient' or 'reference', got {guide!r}")
    maps = []
    for feat, grad in zip(feats, grads):
        dtype = torch.promote_types(feat.dtype, torch.float32)
        feat = feat.detach().to(dtype)
        grad = torch.zeros_like(feat) if grad is None else grad.to(dtype)
        alpha = grad.mean(dim=(2, 3), keepdim=True)  # [B, C, 1, 1] Grad-CAM channel weights
        maps.append(normalize_maps((feat * alpha).mean(dim=1)))  # [B, h, w]
    return maps


@MODELS.register_module()
class GradientBoxSampler(nn.Module):
    """GraSS's sampler: the highest-valued connected region of each map, cut out and resized.

    Args:
        threshold_ratio (float): Threshold between each map's min and max. Defaults to 0.5.
        crop_interpolation (str): ``'nearest'`` (the reference) or ``'bilinear'``.
    """

    def __init__(self, threshold_ratio: float = 0.5, crop_interpolation: str = 'nearest') -> None:
        super().__init__()
        check_sampling_args(threshold_ratio, crop_interpolation)
        self.threshold_ratio = threshold_ratio
        self.crop_interpolation = crop_interpolation

    def boxes(self, maps: Tensor, image_size: Sequence[int]) -> Tuple[Tensor, Tensor]:
        """Boxes ``[2N, 4]`` and ``found`` ``[2N]`` for views of ``image_size`` ``(H, W)``."""
        return select_regions(maps, image_size, self.threshold_ratio, return_found=True)

    def forward(self, views: Tensor, maps: Tensor) -> Sampling:
        """Sample from ``views`` ``[2N, C, H, W]`` with their maps ``[2N, h, w]``."""
        boxes, found = self.boxes(maps, views.shape[-2:])
        crops = crop_and_resize(views, boxes, mode=self.crop_interpolation)  # [2N, C, H, W]
        return Sampling(maps, boxes, found, crops)


@MODELS.register_module()
class RandomBoxSampler(GradientBoxSampler):
    """The random-box control: the gradient boxes' sizes, shuffled across views, at random places.

    The same guide pass and crop path as :class:`GradientBoxSampler`, so the two differ only in
    where the boxes are (:func:`~grass_mm.models.utils.random_positions`).
    """

    def boxes(self, maps: Tensor, image_size: Sequence[int]) -> Tuple[Tensor, Tensor]:
        boxes, found = super().boxes(maps, image_size)
        return random_positions(boxes, image_size, found)
