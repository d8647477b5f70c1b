from typing import Optional, Sequence

import torch
from mmpretrain.models.utils import SelfSupDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class MultiBandDataPreprocessor(SelfSupDataPreprocessor):
    """``SelfSupDataPreprocessor`` for images of any band count (mmengine's accepts 1 or 3).

    Standardises each band with its own ``mean``/``std`` (e.g. from
    :func:`~grass_mm.datasets.band_statistics`); no channel reordering, no clipping.

    Args:
        mean (Sequence[float]): Per-band means, one per input band.
        std (Sequence[float]): Per-band standard deviations.
        pad_size_divisor, pad_value, non_blocking: As in ``SelfSupDataPreprocessor``.
    """

    def __init__(self,
                 mean: Sequence[float],
                 std: Sequence[float],
                 pad_size_divisor: int = 1,
                 pad_value: float = 0,
                 non_blocking: Optional[bool] = False) -> None:
        if len(mean) != len(std) or not len(mean):
            raise ValueError(f'MultiBandDataPreprocessor: mean ({len(mean)} values) and std '
                             f'({len(std)} values) need one value per band each')
        super().__init__(
            pad_size_divisor=pad_size_divisor, pad_value=pad_value, non_blocking=non_blocking)
        self._enable_normalize = True
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), False)
