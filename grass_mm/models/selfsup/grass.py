from typing import Dict, List, NamedTuple, Optional, Union

import torch
import torch.nn.functional as F
from mmpretrain.models import SimCLR
from mmpretrain.models.selfsup.simclr import GatherLayer
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ..utils import crop_and_resize, normalize_maps, random_positions, select_regions


class Sampling(NamedTuple):
    """What one GS step sampled, view by view (all detached but ``crops``)."""
    views: Tensor  # [2N, C, H, W] in SimCLR's interleaved order
    maps: Tensor  # [2N, h, w] normalised gradient maps (all-NaN: degenerate)
    boxes: Tensor  # [2N, 4] (x1, y1, x2, y2), x2/y2 exclusive, in view pixels
    found: Tensor  # [2N] bool; False where the whole view was kept
    crops: Tensor  # [2N, C, H, W] the boxes cut out and resized back


@MODELS.register_module()
class GraSS(SimCLR):
    """GraSS: contrastive learning with gradient-guided sampling.

    Implementation of `Contrastive Learning with Gradient Guided Sampling Strategy for Remote
    Sensing Image Semantic Segmentation <https://arxiv.org/abs/2306.15868>`_ (IEEE TGRS 2023).

    Two stages, held in the plain attribute :attr:`stage` that
    :class:`~grass_mm.engine.hooks.GraSSStageHook` sets before every iteration:

    - ``'warmup'``: instance discrimination, exactly :class:`mmpretrain.models.SimCLR`.
    - ``'gs'``: a *guide pass* gives each view a map of where the contrastive loss is most
      sensitive (Grad-CAM on the last backbone feature map, without ReLU), the highest-valued
      connected region of that map is cropped out of the view and resized back, and the crops
      are trained on with the same NT-Xent loss. No gradient flows through the box choice.

    The efficient guide (default) exploits that the last feature map ``A`` only feeds the global
    average pool ``f``: ``dL/dA[c, h, w] = dL/df[c] / (h * w)``, so the map needs the gradient
    with respect to ``f`` alone, and the backbone's guide forward runs under ``no_grad``: one
    extra forward instead of the reference's extra forward and full backward. The backbone stays
    in train mode for it, as in the reference (BN running statistics see both passes).

    In distributed training negatives are gathered across ranks as in SimCLR, but each rank's map
    is the gradient of its *own* loss terms (its anchors against all negatives); the terms where
    its views serve as negatives for other ranks' anchors are left out. Maps differ from a
    single-process run on the same global batch by those terms (and by a positive scale, which
    the normalisation removes).

    Args:
        backbone (dict): Backbone config; its last output is the map's feature map.
        neck (dict): Projection neck config (``NonLinearNeck`` with average pooling).
        head (dict): ``ContrastiveHead`` config (temperature 0.5 in the GraSS configs).
        guide (str): ``'efficient'`` (gradient w.r.t. the pooled feature, backbone under
            ``no_grad``) or ``'reference'`` (gradient w.r.t. the feature map with a full backward
            through the backbone, whose parameter gradients are thrown away). Defaults to
            ``'efficient'``; both give the same map.
        threshold_ratio (float): Threshold between each map's min and max. Defaults to 0.5.
        crop_interpolation (str): ``'nearest'`` (the reference) or ``'bilinear'``.
        guide_scale (float): Run the guide pass on views resized by this factor (boxes are still
            chosen at full size). Defaults to 1.0 (the reference).
        sampler (str): ``'gradient'`` (GraSS) or ``'random'``, the control that isolates the
            gradient: the same stage switch, guide pass and crop path, but the batch's box sizes
            are shuffled across views and placed at random
            (:func:`~grass_mm.models.utils.random_positions`). Defaults to ``'gradient'``.
        stage (str): Initial stage, ``'warmup'`` or ``'gs'``. Defaults to ``'warmup'``.
        pretrained (str, optional): As in SimCLR.
        data_preprocessor (dict, optional): As in SimCLR.
        init_cfg (dict or list[dict], optional): As in SimCLR.
    """

    STAGES = ('warmup', 'gs')

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 guide: str = 'efficient',
                 threshold_ratio: float = 0.5,
                 crop_interpolation: str = 'nearest',
                 guide_scale: float = 1.0,
                 sampler: str = 'gradient',
                 stage: str = 'warmup',
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        _check_choice('guide', guide, ('efficient', 'reference'))
        _check_choice('crop_interpolation', crop_interpolation, ('nearest', 'bilinear'))
        _check_choice('stage', stage, self.STAGES)
        _check_choice('sampler', sampler, ('gradient', 'random'))
        if not 0.0 <= threshold_ratio < 1.0:
            raise ValueError(f'GraSS: threshold_ratio must be in [0, 1), got {threshold_ratio}')
        if not 0.0 < guide_scale <= 1.0:
            raise ValueError(f'GraSS: guide_scale must be in (0, 1], got {guide_scale}')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if guide == 'efficient' and not getattr(self.neck, 'with_avg_pool', False):
            raise ValueError('GraSS: the efficient guide needs a neck that average-pools the '
                             'feature map (NonLinearNeck with with_avg_pool=True); use '
                             "guide='reference' otherwise")
        self.guide = guide
        self.threshold_ratio = threshold_ratio
        self.crop_interpolation = crop_interpolation
        self.guide_scale = guide_scale
        self.sampler = sampler
        self.stage = stage
        # GraSSVisualizationHook sets keep_samples > 0 for the steps it draws; the GS step then
        # leaves its first views, maps, boxes and crops (detached) in last_samples.
        self.keep_samples = 0
        self.last_samples: Optional[Dict[str, Tensor]] = None

    def loss(self, inputs: List[Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Warm-up: SimCLR. GS: guide → maps → boxes → crops → SimCLR on the crops.

        Both stages and the guide pass share one contrast path, :meth:`contrast`; in the warm-up
        this is :meth:`mmpretrain.models.SimCLR.loss` line for line (tested to equal it exactly).

        Args:
            inputs (List[Tensor]): The two views, each ``[N, C, H, W]``.
            data_samples (List[DataSample]): Unused, as in SimCLR.

        Returns:
            Dict[str, Tensor]: ``loss`` (the only term optimised) and, for logging, ``stage``
            (0 warm-up, 1 GS); in GS also ``box_area`` (mean box area as a fraction of the view)
            and ``no_region`` (fraction of views left whole because no region was found).
        """
        if self.stage not in self.STAGES:
            raise ValueError(f"GraSS.stage must be one of {self.STAGES}, got {self.stage!r}")
        views = torch.stack(inputs, 1).flatten(0, 1)  # [2N, C, H, W] in SimCLR's order
        if self.stage == 'warmup':
            loss = self.contrast(self.neck(self.backbone(views))[0])
            return dict(loss=loss, stage=loss.new_zeros(()))

        sampled = self.sample(views)
        loss = self.contrast(self.neck(self.backbone(sampled.crops))[0])
        if self.keep_samples:
            k = self.keep_samples
            self.last_samples = dict(
                views=views[:k].detach(),
                maps=sampled.maps[:k],
                boxes=sampled.boxes[:k],
                crops=sampled.crops[:k].detach())
        boxes = sampled.boxes
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])  # [2N] pixels
        return dict(
            loss=loss,
            stage=loss.new_ones(()),
            box_area=area.float().mean() / (views.size(2) * views.size(3)),
            no_region=1 - sampled.found.float().mean())

    def sample(self, views: Tensor) -> Sampling:
        """The sampling of a GS step: guide pass → maps → boxes → crops.

        Args:
            views (Tensor): ``[2N, C, H, W]`` views in SimCLR's interleaved order.

        Returns:
            Sampling: views, maps, boxes, found and crops; with ``sampler='random'`` the boxes
            (and ``found``) are the gradient boxes' sizes moved to random views and places.
        """
        maps = self.gradient_maps(views)  # [2N, h, w]
        boxes, found = select_regions(
            maps, views.shape[-2:], self.threshold_ratio, return_found=True)  # [2N, 4], [2N]
        if self.sampler == 'random':
            boxes, found = random_positions(boxes, views.shape[-2:], found)
        crops = crop_and_resize(views, boxes, mode=self.crop_interpolation)  # [2N, C, H, W]
        return Sampling(views.detach(), maps, boxes, found, crops)

    def gradient_maps(self, views: Tensor) -> Tensor:
        """Guide pass: one normalised gradient map per view (detached).

        Args:
            views (Tensor): ``[2N, C, H, W]`` views in SimCLR's interleaved order.

        Returns:
            Tensor: ``[2N, h, w]`` maps at the last feature map's resolution, normalised by
            :func:`~grass_mm.models.utils.normalize_maps` (all-NaN for a degenerate map).
        """
        if self.guide_scale != 1.0:
            views = F.interpolate(
                views, scale_factor=self.guide_scale, mode='bilinear', align_corners=False)
        if self.guide == 'efficient':
            with torch.no_grad():
                feat = self.backbone(views)[-1]
            # At least fp32, no autocast: tiny guide gradients would underflow in fp16.
            dtype = torch.promote_types(feat.dtype, torch.float32)
            pooled = feat.mean(dim=(2, 3)).to(dtype).requires_grad_()
            with torch.enable_grad(), torch.autocast(views.device.type, enabled=False):
                z = self.neck((pooled[:, :, None, None], ))[0]
                grad, = torch.autograd.grad(self.contrast(z), pooled)
            alpha = grad / (feat.size(2) * feat.size(3))  # spatial mean of dL/dA
        else:
            with torch.enable_grad():
                feat = self.backbone(views)[-1]
                params = [p for p in self.backbone.parameters() if p.requires_grad]
                # Full backward like the reference; parameter gradients are discarded, not
                # accumulated, so the optimiser only sees the training pass.
                grad = torch.autograd.grad(self.contrast(self.neck((feat, ))[0]),
                                           [feat, *params])[0]
            alpha = grad.mean(dim=(2, 3))
        # Grad-CAM without ReLU: channel-mean of A_c * alpha_c.
        dtype = torch.promote_types(feat.dtype, torch.float32)
        maps = (feat.detach().to(dtype) * alpha.to(dtype)[:, :, None, None]).mean(dim=1)
        return normalize_maps(maps)

    def contrast(self, z: Tensor) -> Tensor:
        """NT-Xent on projections ``z`` ``[2N, d]`` (views interleaved: 2i and 2i+1 are a pair).

        The tail of :meth:`mmpretrain.models.SimCLR.loss`, which does not expose it on its own;
        GraSS's training pass and guide pass both go through here.
        """
        z = z / (torch.norm(z, p=2, dim=1, keepdim=True) + 1e-10)
        z = torch.cat(GatherLayer.apply(z), dim=0)  # [2N * world, d]
        n = z.size(0) // 2
        s = torch.matmul(z, z.permute(1, 0))  # [2N', 2N'] cosine similarities
        mask, pos_idx, neg_mask = self._create_buffer(n, s.device)
        s = torch.masked_select(s, mask == 1).reshape(s.size(0), -1)  # drop the diagonal
        positive = s[pos_idx].unsqueeze(1)  # [2N', 1]
        negative = torch.masked_select(s, neg_mask == 1).reshape(s.size(0), -1)  # [2N', 2N'-2]
        return self.head.loss(positive, negative)


def _check_choice(key: str, value: str, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(f'GraSS: {key} must be one of {choices}, got {value!r}')
