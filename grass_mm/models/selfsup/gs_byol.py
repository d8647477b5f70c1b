from typing import List, Optional, Union

from mmpretrain.models import BYOL
from mmpretrain.registry import MODELS
from torch import Tensor

from .gs_mixin import GradientGuidedMixin, at_least_fp32


@MODELS.register_module()
class GSBYOL(GradientGuidedMixin, BYOL):
    """BYOL with GraSS's gradient-guided sampling.

    `Bootstrap Your Own Latent <https://arxiv.org/abs/2006.07733>`_ (mmpretrain's
    :class:`~mmpretrain.models.BYOL`), plus the two stages of
    `GraSS <https://arxiv.org/abs/2306.15868>`_ from :class:`GradientGuidedMixin`: the warm-up is
    BYOL exactly; in GS, BYOL trains on the crops that its own loss's gradient points at.

    The guide loss is BYOL's symmetric loss, ``2 * (l(online_1, target_2) + l(online_2,
    target_1))``, with the target network's projections as they stand (no momentum update).

    Args:
        backbone (dict): Backbone config; its last output is the map's feature map.
        neck (dict): Projection neck config.
        head (dict): ``LatentPredictHead`` config (predictor and loss).
        base_momentum (float): Base momentum of the target network (mmpretrain's convention,
            ``1 - m``). Defaults to 0.004.
        guide, guide_scale, sampler, stage: As in
            :class:`~grass_mm.models.GraSS`.
        pretrained, data_preprocessor, init_cfg: As in BYOL.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 base_momentum: float = 0.004,
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
            base_momentum=base_momentum,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.init_sampling(guide, guide_scale, sampler, stage, **legacy)

    def guide_targets(self, pair: List[Tensor]) -> List[Tensor]:
        """The target network's projections of both views, ``2 x [N, d]``."""
        return [at_least_fp32(self.target_net(x)[0]) for x in pair]

    def guide_loss(self, feats: List[Tensor], targets: List[Tensor]) -> Tensor:
        """BYOL's loss: each view's online prediction against the other view's target."""
        online = [self.neck((feat, ))[0] for feat in feats]  # 2 x [N, d]
        return 2. * (self.head.loss(online[0], targets[1]) + self.head.loss(online[1], targets[0]))
