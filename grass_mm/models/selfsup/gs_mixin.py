import warnings
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ..utils.sampler import Sampling, guide_maps

SAMPLERS = dict(gradient='GradientBoxSampler', random='RandomBoxSampler')
LEGACY_SAMPLER_KEYS = ('threshold_ratio', 'crop_interpolation')


class GradientGuidedMixin:
    """Gradient-guided sampling on top of a two-view self-supervised algorithm.

    Put it first among the bases (``class GSBYOL(GradientGuidedMixin, BYOL)``) and call
    :meth:`init_sampling` at the end of ``__init__``. The algorithm then has GraSS's two stages,
    held in the plain attribute :attr:`stage` that :class:`~grass_mm.engine.hooks.GraSSStageHook`
    sets before every iteration:

    - ``'warmup'``: the base algorithm's ``loss``, unchanged.
    - ``'gs'``: a guide pass maps where the base algorithm's own loss is most sensitive on each
      view (Grad-CAM on the online backbone's last feature map, :func:`guide_maps`); the sampler
      cuts the highest-valued region out of each view and resizes it back; the base ``loss``
      trains on the crops.

    The guide leaves nothing behind: no parameter gradient, no queue update, no momentum update
    (it reads momentum encoders and queues as they are). Only batch-norm running statistics of
    the online networks see both passes, as in the GraSS reference.

    A subclass defines :meth:`guide_loss` (its loss from the online feature maps) and, where its
    loss needs targets computed without gradient, :meth:`guide_targets`.
    """

    STAGES = ('warmup', 'gs')

    def init_sampling(self,
                      guide: str = 'efficient',
                      guide_scale: float = 1.0,
                      sampler: Union[str, dict] = 'gradient',
                      stage: str = 'warmup',
                      **legacy) -> None:
        """Set up the guide, the sampler and the stage: the sampling arguments of every GS method.

        Args:
            guide (str): ``'efficient'`` or ``'reference'`` (:func:`guide_maps`).
            guide_scale (float): Guide pass on views resized by this factor, in (0, 1].
            sampler (str | dict): ``'gradient'``, ``'random'`` or a registered sampler's config,
                e.g. ``dict(type='GradientBoxSampler', threshold_ratio=0.5,
                crop_interpolation='nearest')``: the only place the box settings are given.
            stage (str): ``'warmup'`` or ``'gs'``.
            **legacy: ``threshold_ratio`` / ``crop_interpolation`` as model keys (configs
                before 0.2): moved into the sampler with a warning; a value that contradicts the
                sampler's own is an error, never silently overridden.
        """
        name = type(self).__name__
        self.check_legacy_keys(legacy)
        _check_choice(name, 'guide', guide, ('efficient', 'reference'))
        if not 0.0 < guide_scale <= 1.0:
            raise ValueError(f'{name}: guide_scale must be in (0, 1], got {guide_scale}')
        if isinstance(sampler, str):
            _check_choice(name, 'sampler', sampler, tuple(SAMPLERS))
            cfg = dict(type=SAMPLERS[sampler])
        else:
            cfg = dict(sampler)
        for key, value in legacy.items():
            if key in cfg and cfg[key] != value:
                raise ValueError(f'{name}: {key}={value!r} contradicts sampler.{key}='
                                 f'{cfg[key]!r}; give it once, in the sampler')
            warnings.warn(
                f'{name}: {key} is a sampler setting; write model.sampler=dict(type='
                f"{cfg.get('type')!r}, {key}={value!r})", DeprecationWarning)
            cfg[key] = value
        sampler_cls = MODELS.get(cfg.pop('type', None))
        if sampler_cls is None:
            raise KeyError(f'{name}: sampler type must be a registered sampler such as '
                           f'{tuple(SAMPLERS.values())}, got {sampler!r}')
        try:
            self.box_sampler = sampler_cls(**cfg)
        except ValueError as error:
            raise ValueError(f'{name}: {error}') from None
        self.guide = guide
        self.guide_scale = guide_scale
        self.stage = stage
        # GraSSVisualizationHook sets keep_samples > 0 for the steps it draws; the GS step then
        # leaves its first views, maps, boxes and crops (detached) in last_samples.
        self.keep_samples = 0
        self.last_samples: Optional[Dict[str, Tensor]] = None

    @classmethod
    def check_legacy_keys(cls, legacy: dict) -> None:
        """Refuse any constructor keyword but the two old sampler keys, before anything is built
        (a misspelt key is named at once, as by a plain signature)."""
        unknown = sorted(set(legacy) - set(LEGACY_SAMPLER_KEYS))
        if unknown:
            raise TypeError(f'{cls.__name__}: unexpected arguments {unknown}')

    @property
    def stage(self) -> str:
        """``'warmup'`` or ``'gs'``; checked whenever it is set (by the hook, a test, a user)."""
        return self._stage

    @stage.setter
    def stage(self, value: str) -> None:
        _check_choice(type(self).__name__, 'stage', value, self.STAGES)
        self._stage = value

    @property
    def threshold_ratio(self) -> float:
        return self.box_sampler.threshold_ratio

    @property
    def crop_interpolation(self) -> str:
        return self.box_sampler.crop_interpolation

    def loss(self, inputs: List[Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Warm-up: the base algorithm. GS: guide → maps → boxes → crops → the base on the crops.

        Args:
            inputs (List[Tensor]): The two views, each ``[N, C, H, W]``.
            data_samples (List[DataSample]): Passed on to the base algorithm.

        Returns:
            Dict[str, Tensor]: The base algorithm's losses and, for logging, ``stage`` (0 warm-up,
            1 GS); in GS also ``box_area`` (mean box area as a fraction of the view) and
            ``no_region`` (fraction of views left whole because no region was found).
        """
        if self.stage == 'warmup':
            losses = super().loss(inputs, data_samples, **kwargs)
            return dict(losses, stage=inputs[0].new_zeros(()))

        views = torch.stack(inputs, 1).flatten(0, 1)  # [2N, C, H, W], pairs interleaved
        labels = None
        if self.reads_labels:  # an oracle sampler (a diagnostic): the views' label maps
            labels = view_labels(data_samples, type(self.box_sampler).__name__)
        sampled = self.sample(views, labels)
        crops = list(sampled.crops.unflatten(0, (-1, 2)).unbind(1))  # 2 x [N, C, H, W]
        losses = super().loss(crops, data_samples, **kwargs)
        if self.keep_samples:
            k = self.keep_samples
            self.last_samples = dict(
                views=views[:k].detach(),
                maps=sampled.maps[:k],
                boxes=sampled.boxes[:k],
                crops=sampled.crops[:k].detach())
        boxes = sampled.boxes
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])  # [2N] pixels
        extra = {}
        if labels is not None:  # the share of views the oracle could not read (no labels)
            ignore = self.box_sampler.ignore_index
            extra['unlabelled'] = (labels == ignore).flatten(1).all(1).float().mean()
        return dict(
            losses,
            stage=views.new_ones(()),
            box_area=area.float().mean() / (views.size(2) * views.size(3)),
            no_region=1 - sampled.found.float().mean(),
            **extra)

    @property
    def reads_labels(self) -> bool:
        """Whether the sampler is an oracle that places boxes by the views' label maps."""
        return getattr(self.box_sampler, 'reads_labels', False)

    def sample(self, views: Tensor, labels: Optional[Tensor] = None) -> Sampling:
        """The sampling of a GS step: guide pass → maps → boxes → crops.

        Args:
            views (Tensor): ``[2N, C, H, W]``, the two views interleaved.
            labels (Tensor, optional): ``[2N, H, W]`` label maps of the views, for an oracle
                sampler (:mod:`grass_mm.models.utils.oracle`); ignored by the others.

        Returns:
            Sampling: maps, boxes, found and crops (with the random-box sampler, the
            gradient boxes' sizes moved to random views and places).
        """
        maps = self.gradient_maps(views)
        if self.reads_labels:
            return self.box_sampler(views, maps, labels)
        return self.box_sampler(views, maps)

    def gradient_maps(self, views: Tensor) -> Tensor:
        """Guide pass: one normalised gradient map per view (detached).

        Args:
            views (Tensor): ``[2N, C, H, W]``, the two views interleaved.

        Returns:
            Tensor: ``[2N, h, w]`` maps at the last feature map's resolution (all-NaN for a
            degenerate map), in the order of ``views``.
        """
        if self.guide_scale != 1.0:
            views = F.interpolate(
                views, scale_factor=self.guide_scale, mode='bilinear', align_corners=False)
        pair = list(views.unflatten(0, (-1, 2)).unbind(1))  # 2 x [N, C, H, W]
        with torch.no_grad():
            targets = self.guide_targets(pair)
        maps = guide_maps(self.backbone, self.guide_batches(views, pair),
                          lambda feats: self.guide_loss(feats, targets), self.guide)
        if len(maps) == 1:
            return maps[0]
        return torch.stack(maps, 1).flatten(0, 1)  # back to the interleaved order

    def guide_batches(self, views: Tensor, pair: List[Tensor]) -> List[Tensor]:
        """The batches the base algorithm passes through its online backbone: one per view."""
        return pair

    def guide_targets(self, pair: List[Tensor]) -> Optional[list]:
        """Targets of the guide loss for the two views, computed under ``no_grad``.

        Read momentum encoders and queues here, never update them. None by default.
        """
        return None

    def guide_loss(self, feats: List[Tensor], targets: Optional[list]) -> Tensor:
        """The algorithm's loss from the online last feature maps of :meth:`guide_batches`."""
        raise NotImplementedError


def view_labels(data_samples: List[DataSample], sampler: str) -> Tensor:
    """The views' label maps ``[2N, H, W]`` in the interleaved view order."""
    if not data_samples or 'view_labels' not in data_samples[0]:
        raise ValueError(
            f'{sampler} reads label maps, but the data samples carry no view_labels: the '
            'pretraining pipeline must load them (LoadViewLabel, LabelledMultiView, '
            "PackInputs(algorithm_keys=['view_labels'])), as the grass-oracle-* configs do")
    return torch.stack([ds.view_labels for ds in data_samples]).flatten(0, 1)  # [N, 2, H, W]


def at_least_fp32(x: Tensor) -> Tensor:
    """Guide targets in the guide's precision (fp16/bf16 targets of an AMP step become fp32)."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


def _check_choice(name: str, key: str, value: str, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(f'{name}: {key} must be one of {choices}, got {value!r}')
