from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models import DenseCL
from mmpretrain.registry import MODELS
from torch import Tensor

from .gs_mixin import GradientGuidedMixin, at_least_fp32


@MODELS.register_module()
class GSDenseCL(GradientGuidedMixin, DenseCL):
    """DenseCL with GraSS's gradient-guided sampling.

    `Dense Contrastive Learning <https://arxiv.org/abs/2011.09157>`_ (mmpretrain's
    :class:`~mmpretrain.models.DenseCL`), plus the two stages of
    `GraSS <https://arxiv.org/abs/2306.15868>`_ from :class:`GradientGuidedMixin`: the warm-up is
    DenseCL exactly; in GS, DenseCL trains on the crops that its own loss's gradient points at.

    The guide loss is DenseCL's ``(1 - lambda) * global + lambda * dense`` InfoNCE made symmetric:
    each view as the query against the other view's momentum keys and the two queues. The neck
    does not average-pool first (its dense branch reads the whole map), so the map carries the
    dense term's spatial gradient too. Keys come from the momentum encoder as it stands (no
    momentum update, no batch shuffle); the queues are read, never updated. ``loss_lambda``
    follows mmpretrain's ``DenseCLHook`` in both passes.

    Args:
        backbone (dict): Backbone config; its last output is the map's feature map.
        neck (dict): ``DenseCLNeck`` config.
        head (dict): ``ContrastiveHead`` config.
        queue_len (int): Length of the negative queues. Defaults to 65536.
        feat_dim (int): Dimension of the projections. Defaults to 128.
        momentum (float): Momentum coefficient of the key encoder (``1 - m``). Defaults to 0.001.
        loss_lambda (float): Weight of the dense loss. Defaults to 0.5.
        guide, guide_scale, sampler, stage: As in
            :class:`~grass_mm.models.GraSS`.
        pretrained, data_preprocessor, init_cfg: As in DenseCL.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 loss_lambda: float = 0.5,
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
            loss_lambda=loss_lambda,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.init_sampling(guide, guide_scale, sampler, stage, **legacy)

    def guide_targets(self, pair: List[Tensor]) -> List[Tuple[Tensor, Tensor, Tensor]]:
        """Per view, the momentum encoder's global key ``[N, d]``, grid keys ``[N, d, S^2]``
        and backbone map ``[N, C, S^2]``, each normalised as in DenseCL."""
        targets = []
        for x in pair:
            k_b = self.encoder_k.module[0](x)
            k, k_grid, _ = self.encoder_k.module[1](k_b)
            k_b = k_b[0].flatten(2)
            targets.append(tuple(at_least_fp32(F.normalize(t, dim=1)) for t in (k, k_grid, k_b)))
        return targets

    def guide_loss(self, feats: List[Tensor], targets: list) -> Tensor:
        """DenseCL's loss with each view as the query, keys from the other view."""
        queue = self.queue.clone().detach().to(feats[0].dtype)  # [d, K]
        queue2 = self.queue2.clone().detach().to(feats[0].dtype)  # [d, K]
        loss = 0
        for feat, (k, k_grid, k_b) in zip(feats, targets[::-1]):
            q, q_grid, _ = self.neck((feat, ))
            q = F.normalize(q, dim=1)  # [N, d]
            q_grid = F.normalize(q_grid, dim=1)  # [N, d, S^2]
            q_b = F.normalize(feat.flatten(2), dim=1)  # [N, C, S^2]
            l_pos = torch.einsum('nc,nc->n', [q, k]).unsqueeze(-1)  # [N, 1]
            l_neg = torch.einsum('nc,ck->nk', [q, queue])  # [N, K]
            # Each query cell's positive is the key cell most similar in backbone features.
            match = torch.matmul(q_b.permute(0, 2, 1), k_b).max(dim=2)[1]  # [N, S^2]
            k_matched = torch.gather(k_grid, 2, match.unsqueeze(1).expand(-1, k_grid.size(1), -1))
            l_pos_dense = (q_grid * k_matched).sum(1).view(-1, 1)  # [N S^2, 1]
            l_neg_dense = torch.einsum('nc,ck->nk', [q_grid.permute(0, 2, 1).flatten(0, 1), queue2])
            loss = loss + (1 - self.loss_lambda) * self.head.loss(l_pos, l_neg) + \
                self.loss_lambda * self.head.loss(l_pos_dense, l_neg_dense)
        return loss
