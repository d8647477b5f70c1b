from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmpretrain.models import MoCo
from mmpretrain.registry import MODELS
from torch import Tensor

from .gs_mixin import GradientGuidedMixin, at_least_fp32


@MODELS.register_module()
class GSMoCoV2(GradientGuidedMixin, MoCo):
    """MoCo v2 with GraSS's gradient-guided sampling.

    `Improved Baselines with Momentum Contrastive Learning <https://arxiv.org/abs/2003.04297>`_
    (mmpretrain's :class:`~mmpretrain.models.MoCo` with ``MoCoV2Neck``), plus the two stages of
    `GraSS <https://arxiv.org/abs/2306.15868>`_ from :class:`GradientGuidedMixin`: the warm-up is
    MoCo exactly; in GS, MoCo trains on the crops that its own loss's gradient points at.

    The guide loss is MoCo's InfoNCE made symmetric, so that both views get a map: view 1 as
    query against the momentum key of view 2 and the queue, plus the same with the views swapped.
    A view's map depends only on the term where it is the query. Keys come from the momentum
    encoder as it stands (no momentum update, no batch shuffle, which only matters for BN across
    GPUs) and the queue is read, never updated.

    Args:
        backbone (dict): Backbone config; its last output is the map's feature map.
        neck (dict): ``MoCoV2Neck`` config.
        head (dict): ``ContrastiveHead`` config.
        queue_len (int): Length of the negative queue. Defaults to 65536.
        feat_dim (int): Dimension of the projections. Defaults to 128.
        momentum (float): Momentum coefficient of the key encoder (mmpretrain's convention,
            ``1 - m``). Defaults to 0.001.
        guide, guide_scale, sampler, stage: As in
            :class:`~grass_mm.models.GraSS`.
        pretrained, data_preprocessor, init_cfg: As in MoCo.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
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
            queue_len=queue_len,
            feat_dim=feat_dim,
            momentum=momentum,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.init_sampling(guide, guide_scale, sampler, stage, **legacy)

    def guide_targets(self, pair: List[Tensor]) -> List[Tensor]:
        """The momentum keys of both views, ``2 x [N, d]``, normalised."""
        return [at_least_fp32(F.normalize(self.encoder_k(x)[0], dim=1)) for x in pair]

    def guide_loss(self, feats: List[Tensor], targets: List[Tensor]) -> Tensor:
        """MoCo's loss with each view as the query, keys from the other view."""
        queue = self.queue.clone().detach().to(feats[0].dtype)  # [d, K]
        loss = 0
        for feat, key in zip(feats, targets[::-1]):
            q = F.normalize(self.neck((feat, ))[0], dim=1)  # [N, d]
            l_pos = torch.einsum('nc,nc->n', [q, key]).unsqueeze(-1)  # [N, 1]
            l_neg = torch.einsum('nc,ck->nk', [q, queue])  # [N, K]
            loss = loss + self.head.loss(l_pos, l_neg)
        return loss
