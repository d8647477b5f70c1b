from typing import List, Optional, Union

import torch
from mmpretrain.models import SimCLR
from mmpretrain.models.selfsup.simclr import GatherLayer
from mmpretrain.registry import MODELS
from torch import Tensor

from .gs_mixin import GradientGuidedMixin


@MODELS.register_module()
class GraSS(GradientGuidedMixin, SimCLR):
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

    The efficient guide (default) runs the backbone's guide forward under ``no_grad`` and
    differentiates the loss from the last feature map ``A`` on (:func:`guide_maps`): one extra
    forward instead of the reference's extra forward and full backward. Since ``A`` only feeds the
    neck's global average pool ``f``, ``dL/dA[c, h, w] = dL/df[c] / (h * w)``. The backbone stays
    in train mode for it, as in the reference (BN running statistics see both passes). The
    stages, guide and sampler come from :class:`GradientGuidedMixin`, which puts the same
    sampling on MoCo v2, BYOL and DenseCL.

    In distributed training negatives are gathered across ranks as in SimCLR, but each rank's map
    is the gradient of its *own* loss terms (its anchors against all negatives); the terms where
    its views serve as negatives for other ranks' anchors are left out. Maps differ from a
    single-process run on the same global batch by those terms (and by a positive scale, which
    the normalisation removes).

    Args:
        backbone (dict): Backbone config; its last output is the map's feature map.
        neck (dict): Projection neck config (SimCLR's ``NonLinearNeck``).
        head (dict): ``ContrastiveHead`` config (temperature 0.5 in the GraSS configs).
        guide (str): ``'efficient'`` (gradient w.r.t. the last feature map, backbone under
            ``no_grad``) or ``'reference'`` (gradient w.r.t. the feature map with a full backward
            through the backbone, whose parameter gradients are thrown away). Defaults to
            ``'efficient'``; both give the same map.
        guide_scale (float): Run the guide pass on views resized by this factor (boxes are still
            chosen at full size). Defaults to 1.0 (the reference).
        sampler (str | dict): The box sampler, the one place its settings are given:
            ``dict(type='GradientBoxSampler', threshold_ratio=0.5, crop_interpolation='nearest')``
            (GraSS; the threshold lies between each map's min and max, crops are resized
            ``'nearest'`` as in the reference or ``'bilinear'``) or ``type='RandomBoxSampler'``,
            the control that isolates the gradient: the same stage switch, guide pass and crop
            path, but the batch's box sizes are shuffled across views and placed at random.
            ``'gradient'`` and ``'random'`` name them with their defaults. Defaults to
            ``'gradient'``.
        stage (str): Initial stage, ``'warmup'`` or ``'gs'``. Defaults to ``'warmup'``.
        pretrained (str, optional): As in SimCLR.
        data_preprocessor (dict, optional): As in SimCLR.
        init_cfg (dict or list[dict], optional): As in SimCLR.
        **legacy: ``threshold_ratio`` / ``crop_interpolation`` given as model keys (before
            0.2): moved into ``sampler`` with a warning (:meth:`init_sampling`).
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 guide: str = 'efficient',
                 guide_scale: float = 1.0,
                 sampler: Union[str, dict] = 'gradient',
                 stage: str = 'warmup',
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None,
                 **legacy) -> None:
        self.check_legacy_keys(legacy)
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.init_sampling(guide, guide_scale, sampler, stage, **legacy)

    def guide_batches(self, views: Tensor, pair: List[Tensor]) -> List[Tensor]:
        """SimCLR passes both views through the backbone as one interleaved batch."""
        return [views]

    def guide_loss(self, feats: List[Tensor], targets: None) -> Tensor:
        """SimCLR's NT-Xent from the last feature map ``[2N, C, h, w]`` (no targets)."""
        return self.contrast(self.neck((feats[0], ))[0])

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
