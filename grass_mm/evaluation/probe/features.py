"""What the probes read from a frozen backbone: the backbone itself (random or loaded), its
normalisation, dense stage features at stride 8 and pooled window embeddings."""
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from torch import Tensor

from grass_mm.utils.checkpoint import load_backbone_state

STRIDE = 8  # the dense read-outs' grid (ResNet stage 2), every stage upsampled to it


def normalise_with(preprocessor: torch.nn.Module) -> Callable[[Tensor], Tensor]:
    """``[B, C, H, W]`` images in file order -> what ``preprocessor`` gives the model (channel
    conversion, mean and std, on the model's device), for mmpretrain's self-supervised
    preprocessors."""

    def normalise(images: Tensor) -> Tensor:
        out = preprocessor(dict(inputs=[images], data_samples=None), training=False)['inputs']
        return out[0] if isinstance(out, (list, tuple)) else out

    return normalise


def config_normalise(cfg: Config) -> Callable[[Tensor], Tensor]:
    """The normalisation of ``cfg``'s model: its ``data_preprocessor``, built."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return normalise_with(MODELS.build(cfg.model.data_preprocessor))


def build_backbone(cfg: Config, source: str, seed: int) -> torch.nn.Module:
    """The config's backbone, random (seeded) or loaded, in eval mode. (The read-outs take the
    stages they need with :func:`stage_features`, whatever its ``out_indices``.)

    Raises:
        ValueError: ``source`` is not a checkpoint, or does not fit the backbone (both named).
    """
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        torch.manual_seed(seed)
        backbone = MODELS.build(cfg.model.backbone)
    if source == 'random':
        backbone.init_weights()  # the config's own initialisation (one rule for every arm)
        backbone.eval()  # (mmpretrain's ResNet.train returns None)
        return backbone
    state = load_backbone_state(source)
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    unexpected = [k for k in unexpected if not k.startswith('fc.')]
    if missing or unexpected:
        raise ValueError(f'{source}: does not fit the backbone of {cfg.filename} '
                         f'(missing {missing[:3]}, unexpected {unexpected[:3]})')
    backbone.eval()
    return backbone


@torch.no_grad()
def stage_features(backbone: torch.nn.Module, x: Tensor, stages: Sequence[int]) -> List[Tensor]:
    """The outputs of ResNet ``stages`` (1-4) for normalised ``x``, whatever the backbone's
    ``out_indices`` (read by forward hooks on ``layer<s>``)."""
    caught: Dict[int, Tensor] = {}
    handles = [
        getattr(backbone, f'layer{s}').register_forward_hook(
            lambda module, args, out, s=s: caught.__setitem__(s, out)) for s in stages
    ]
    try:
        backbone(x)
    finally:
        for handle in handles:
            handle.remove()
    return [caught[s] for s in stages]


@torch.no_grad()
def dense_features(backbone: torch.nn.Module,
                   images: List[np.ndarray],
                   normalise: Callable[[Tensor], Tensor],
                   stages: Sequence[int],
                   dtype: torch.dtype = torch.float32) -> List[Tensor]:
    """``stages`` upsampled to stride 8 and concatenated: one ``[C, h, w]`` CPU tensor per
    ``[H, W, 3]`` image (``h, w`` = ``H, W`` / 8 rounded up)."""
    feats = []
    for image in images:
        x = normalise(torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None])
        size = (-(-x.shape[-2] // STRIDE), -(-x.shape[-1] // STRIDE))
        outs = [
            F.interpolate(o, size=size, mode='bilinear', align_corners=False)
            for o in stage_features(backbone, x, stages)
        ]
        feats.append(torch.cat(outs, 1)[0].to('cpu', dtype))
    return feats


def grid_labels(label: np.ndarray, size: Sequence[int]) -> Tensor:
    """The label at the centre of each stride-8 cell of a ``size`` feature map (int64)."""
    ys = np.minimum(np.arange(size[0]) * STRIDE + STRIDE // 2, label.shape[0] - 1)
    xs = np.minimum(np.arange(size[1]) * STRIDE + STRIDE // 2, label.shape[1] - 1)
    return torch.from_numpy(label[np.ix_(ys, xs)].astype(np.int64))


@torch.no_grad()
def window_embeddings(backbone: torch.nn.Module,
                      windows: np.ndarray,
                      normalise: Callable[[Tensor], Tensor],
                      batch_size: int = 256) -> Tensor:
    """The globally pooled last stage of ``[N, h, w, 3]`` windows: ``[N, C]`` float on CPU.

    The caller sets eval mode (the probes read frozen, eval-mode features).
    """
    if not len(windows):
        return torch.zeros(0)
    out = [
        stage_features(backbone, normalise(torch.from_numpy(chunk).permute(0, 3, 1, 2)),
                       [4])[0].mean(dim=(2, 3)).float().cpu()
        for chunk in np.split(windows, range(batch_size, len(windows), batch_size))
    ]
    return torch.cat(out)
