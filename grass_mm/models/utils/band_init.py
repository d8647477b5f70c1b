"""Load an RGB backbone into an N-band stem: the first convolution is adapted, not dropped.

mmengine's ``Pretrained`` init skips a tensor whose shape differs (and only logs it), so an RGB
checkpoint would leave a 4- or 13-band stem silently random. ``PretrainedBands`` applies one
documented rule instead (:func:`adapt_band_weight`) and fails on any other mismatch.
"""
from typing import Dict, Optional, Sequence

import torch
from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner.checkpoint import (CheckpointLoader, _load_checkpoint_with_prefix,
                                        load_state_dict)
from torch import Tensor


def adapt_band_weight(weight: Tensor, in_channels: int,
                      rgb_bands: Sequence[int] = (0, 1, 2)) -> Tensor:
    """The rule: an RGB kernel ``[C, 3, k, k]`` → an N-band kernel ``[C, N, k, k]``.

    The RGB weights go to the bands ``rgb_bands`` (the model's band indices holding red, green
    and blue, in the checkpoint's channel order); every other band gets the mean of the three RGB
    kernels; then the whole kernel is scaled by ``3 / N``, so that a pixel whose bands are all
    alike gives the same pre-activation as the RGB network gave on grey.
    """
    if weight.dim() != 4 or weight.size(1) != len(rgb_bands):
        raise ValueError(f'adapt_band_weight: expected a [C, {len(rgb_bands)}, k, k] kernel, '
                         f'got {tuple(weight.shape)}')
    if sorted(set(rgb_bands)) != sorted(rgb_bands) or max(rgb_bands) >= in_channels:
        raise ValueError(f'rgb_bands={list(rgb_bands)} must be distinct band indices below '
                         f'in_channels={in_channels}')
    out = weight.mean(dim=1, keepdim=True).repeat(1, in_channels, 1, 1)
    out[:, list(rgb_bands)] = weight
    return out * (weight.size(1) / in_channels)


def adapt_state_dict(state: Dict[str, Tensor],
                     model_state: Dict[str, Tensor],
                     rgb_bands: Sequence[int] = (0, 1, 2),
                     source: str = 'checkpoint') -> Dict[str, Tensor]:
    """Apply :func:`adapt_band_weight` to the kernels whose band count differs from the model's.

    Raises:
        ValueError: A shape mismatch the rule does not cover, naming the key and both shapes.
    """
    state = dict(state)
    for key, value in state.items():
        if key not in model_state or model_state[key].shape == value.shape:
            continue
        target = model_state[key].shape
        if (value.dim() == 4 and len(target) == 4 and value.size(1) == len(rgb_bands)
                and value.shape[0] == target[0] and value.shape[2:] == target[2:]):
            state[key] = adapt_band_weight(value, target[1], rgb_bands)
        else:
            raise ValueError(f'{source}: {key} has shape {tuple(value.shape)} there and '
                             f'{tuple(target)} in the model; PretrainedBands adapts only a '
                             f'[C, {len(rgb_bands)}, k, k] RGB stem kernel to [C, N, k, k]')
    return state


@WEIGHT_INITIALIZERS.register_module(name='PretrainedBands')
class PretrainedBandsInit(PretrainedInit):
    """``Pretrained`` for N-band models: an RGB stem kernel is adapted by the documented rule.

    Use in place of ``Pretrained``:
    ``init_cfg=dict(type='PretrainedBands', checkpoint='backbone.pth', rgb_bands=(0, 1, 2))``.

    Args:
        checkpoint (str): The checkpoint.
        prefix (str, optional): Keep only keys starting with this and strip it.
        map_location (str): As in ``Pretrained``. Defaults to 'cpu'.
        rgb_bands (Sequence[int]): The model's band indices of red, green and blue.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 rgb_bands: Sequence[int] = (0, 1, 2)) -> None:
        super().__init__(checkpoint, prefix, map_location)
        self.rgb_bands = tuple(rgb_bands)

    def __call__(self, module: torch.nn.Module) -> None:
        state = load_adapted(self.checkpoint, module.state_dict(), self.prefix, self.rgb_bands,
                             self.map_location)
        load_state_dict(module, state, strict=False, logger='current')
        print_log(
            f'PretrainedBands: loaded {self.checkpoint} (RGB stem adapted to the model\'s bands '
            f'where they differ, rgb_bands={list(self.rgb_bands)})',
            logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'


def load_adapted(checkpoint: str,
                 model_state: Dict[str, Tensor],
                 prefix: Optional[str] = None,
                 rgb_bands: Sequence[int] = (0, 1, 2),
                 map_location: str = 'cpu') -> Dict[str, Tensor]:
    """A checkpoint's (prefix-stripped) tensors with the stem kernel adapted to ``model_state``."""
    if prefix is None:
        loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location=map_location)
        loaded = loaded.get('state_dict', loaded)
    else:
        loaded = _load_checkpoint_with_prefix(prefix, checkpoint, map_location=map_location)
    return adapt_state_dict(loaded, model_state, rgb_bands, checkpoint)
