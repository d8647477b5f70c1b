"""Candidate guides for gradient-guided sampling, screened by sampling purity before training.

Each guide turns a batch of interleaved views into one map per view; the GS model's own box
sampler (threshold, components, crop) then turns the maps into boxes, so guides differ only in
the map. All but ``activation`` differentiate the model's own loss (``guide_loss`` on
``guide_targets``, as the GS step does); none leaves a gradient, a queue or momentum change.

- ``gradcam``: today's map (:func:`grass_mm.models.utils.guide_maps`): channel mean of the last
  feature map times its Grad-CAM channel weights, signed (no ReLU), as the GraSS reference.
- ``gradcam_relu``: the same with Grad-CAM's ReLU (Selvaraju et al., ICCV 2017).
- ``gradcam_neg``: today's map negated: where the loss would *fall* most if those features grew.
- ``gradcam_stage3``: Grad-CAM on stage 3 (stride 16, twice the resolution at 128 px views).
- ``input_gradient``: the absolute gradient with respect to the input pixels, summed over
  channels and averaged over 8 x 8 cells (vanilla saliency, Simonyan et al., ICLR 2014
  workshop).
- ``activation``: the channel sum of the last feature map, no gradient (SCDA, Wei et al., TIP
  2017: the aggregated activation map of a self-supervised CNN localises the main object).
"""
from typing import Callable, List, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from grass_mm.models.utils.regions import normalize_maps, select_regions
from grass_mm.models.utils.sampler import guide_maps
from .purity import PurityRecord, purity_batches

GUIDES = ('gradcam', 'gradcam_relu', 'gradcam_neg', 'gradcam_stage3', 'input_gradient',
          'activation')


def _stage_forward(backbone, x: Tensor, stop: int) -> Tensor:
    """An mmpretrain ResNet's output after ``stop`` residual stages (1-4)."""
    if getattr(backbone, 'deep_stem', False):
        x = backbone.stem(x)
    else:
        x = backbone.relu(backbone.norm1(backbone.conv1(x)))
    x = backbone.maxpool(x)
    for name in backbone.res_layers[:stop]:
        x = getattr(backbone, name)(x)
    return x


def _interleave(maps: List[Tensor]) -> Tensor:
    return maps[0] if len(maps) == 1 else torch.stack(maps, 1).flatten(0, 1)


def candidate_maps(model, views: Tensor, guide: str) -> Tensor:
    """One normalised map per view from a GS model and the named guide.

    Args:
        model: A GS model (:class:`~grass_mm.models.selfsup.gs_mixin.GradientGuidedMixin`) with
            an mmpretrain ResNet backbone, in train mode (BN batch statistics, as in a step).
        views: ``[2N, C, H, W]``, the two views interleaved.
        guide: One of :data:`GUIDES`.

    Returns:
        ``[2N, h, w]`` maps in the order of ``views`` (all-NaN: degenerate, the whole view).
    """
    if guide not in GUIDES:
        raise ValueError(f'guide must be one of {GUIDES}, got {guide!r}')
    if guide == 'gradcam':
        return model.gradient_maps(views)
    if guide == 'gradcam_relu':
        # Normalising divides by the map's (positive) maximum, so the ReLU commutes with it; a
        # degenerate (all-NaN) map stays degenerate.
        return model.gradient_maps(views).clamp_min(0)
    backbone = model.backbone
    pair = list(views.unflatten(0, (-1, 2)).unbind(1))
    batches = model.guide_batches(views, pair)
    with torch.no_grad():
        targets = model.guide_targets(pair)
    loss_fn: Callable[[List[Tensor]], Tensor] = lambda feats: model.guide_loss(feats, targets)
    if guide == 'activation':
        with torch.no_grad():
            return normalize_maps(_interleave([backbone(x)[-1].float().sum(1) for x in batches]))
    if guide == 'input_gradient':
        leaves = [x.detach().float().requires_grad_() for x in batches]
        with torch.enable_grad():
            grads = torch.autograd.grad(loss_fn([backbone(x)[-1] for x in leaves]), leaves)
        maps = [F.avg_pool2d(g.abs().sum(1, keepdim=True), 8).squeeze(1) for g in grads]
        return normalize_maps(_interleave(maps))
    if guide == 'gradcam_neg':
        # Grad-CAM of the negated loss: the channel weights change sign, so the map is -map.
        return _interleave(guide_maps(backbone, batches, lambda f: -loss_fn(f), model.guide))
    # gradcam_stage3: Grad-CAM on stage 3's output, the loss reached through stage 4.
    stage3 = lambda x: (_stage_forward(backbone, x, 3), )  # noqa: E731
    return _interleave(
        guide_maps(stage3, batches, lambda f: loss_fn([backbone.layer4(x) for x in f]),
                   'efficient'))


def screen_guides(model,
                  pairs: list,
                  size: int,
                  area: tuple,
                  guides: Sequence[str] = GUIDES,
                  thresholds: Sequence[float] = (0.5, ),
                  num_images: int = 128,
                  batch: int = 32,
                  draws: int = 8,
                  ignore_labels: Sequence[int] = (255, ),
                  seed: int = 0,
                  log: Callable[[str], None] = print) -> List[dict]:
    """Sampling purity of each guide at each threshold, on the same views.

    Every guide's map goes through the same region rule (:func:`select_regions`: threshold,
    8-connected components, the component holding the peak), and each box is scored against
    random boxes of its own size in the same view (:class:`PurityRecord`), so the rows are
    paired: one set of views (``seed``), one model state.

    Returns:
        list: One dict per (guide, threshold): ``guide``, ``threshold`` and the purity summary
        (:func:`~grass_mm.evaluation.purity.measure_purity`'s keys).
    """
    for guide in guides:
        if guide not in GUIDES:
            raise ValueError(f'guide must be one of {GUIDES}, got {guide!r}')
    model.train()  # as in a training step (BN batch statistics)
    records = {
        (g, t): PurityRecord(size, draws,
                             torch.Generator().manual_seed(seed))
        for g in guides
        for t in thresholds
    }
    for views, target in purity_batches(model, pairs, size, area, num_images, batch, ignore_labels,
                                        seed, log):
        for guide in guides:
            maps = candidate_maps(model, views, guide)
            for t in thresholds:
                boxes, found = select_regions(maps, (size, size), t, return_found=True)
                records[(guide, t)].add(target, boxes, found)
    rows = []
    for (guide, t), record in records.items():
        summary, _ = record.summary(seed)
        rows.append(dict(guide=guide, threshold=t, **summary))
    return rows
