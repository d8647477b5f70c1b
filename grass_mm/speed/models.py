"""The models, input and training step the speed benchmark measures (:mod:`.measure`): every
model of a table built with the first one's weights, the same synthetic views for all."""

import copy
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS

from grass_mm.datasets.synthetic import render_scene
from grass_mm.utils import load_local_checkpoint

PLUGINS = dict(
    mocov2=('MoCo', 'GSMoCoV2'), byol=('BYOL', 'GSBYOL'), densecl=('DenseCL', 'GSDenseCL'))
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
MODEL_CONFIGS = 'configs/_base_/models'  # the checkout's, from its root


@dataclass
class SpeedSettings:
    """What every measurement shares.

    Args:
        batch: Images per step (two views each).
        steps: Measured steps per method.
        warmup: Unmeasured steps per method.
        guide_scale: The scaled guide's ``guide_scale`` in the GraSS table.
        plugin_guide_scale: ``guide_scale`` of the GS models in the plugin table.
        device: ``cpu`` or ``cuda``.
        checkpoint: Weights to start from (None: random init).
        seed: Seed of the synthetic input.
        amp: fp16 autocast and a GradScaler (CUDA).
        model_configs: The folder of the ``<method>_resnet50.py`` model configs of the plugin
            table (the repository's ``configs/_base_/models``).
    """
    batch: int = 16
    steps: int = 5
    warmup: int = 2
    guide_scale: float = 0.5
    plugin_guide_scale: float = 1.0
    device: str = 'cpu'
    checkpoint: Optional[str] = None
    seed: int = 0
    amp: bool = False
    model_configs: str = MODEL_CONFIGS


def model_cfg(kind: str, depth: int, **grass) -> dict:
    channels = 512 if depth < 50 else 2048
    cfg = dict(
        type=kind,
        backbone=dict(
            type='ResNet', depth=depth, norm_cfg=dict(type='BN'), zero_init_residual=True),
        neck=dict(
            type='NonLinearNeck',
            in_channels=channels,
            hid_channels=channels,
            out_channels=128,
            num_layers=2,
            with_avg_pool=True,
            norm_cfg=dict(type='BN1d')),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.5))
    if kind == 'GraSS':
        cfg.update(stage='gs', **grass)
    return cfg


def plugin_cfg(method: str,
               depth: int,
               gs: bool,
               guide_scale: float = 1.0,
               model_configs: str = MODEL_CONFIGS) -> dict:
    """The ResNet-50 model of ``method`` (``model_configs/<method>_resnet50.py``) at ``depth``,
    per-process BN, GS or not."""
    cfg = Config.fromfile(osp.join(model_configs, f'{method}_resnet50.py')).model.to_dict()
    cfg.pop('data_preprocessor')
    cfg['type'] = PLUGINS[method][1 if gs else 0]
    cfg['backbone'].update(depth=depth, norm_cfg=dict(type='BN'))
    cfg['neck']['in_channels'] = 512 if depth < 50 else 2048
    for part in (cfg['neck'], cfg['head'].get('predictor', {})):
        if part.get('type') == 'NonLinearNeck':
            part['norm_cfg'] = dict(type='BN1d')
    if gs:
        cfg.update(stage='gs', guide_scale=guide_scale)
    return cfg


def make_views(batch: int, size: int, seed: int) -> List[torch.Tensor]:
    """Two views per synthetic aerial scene: random crops, normalised like the configs."""
    rng = np.random.default_rng(seed)
    views = []
    for _ in range(2):
        crops = []
        for _ in range(batch):
            image, _ = render_scene(rng, 256)
            y, x = rng.integers(0, 256 - 128, 2)
            crop = torch.from_numpy(image[y:y + 128, x:x + 128].copy()).permute(2, 0, 1)
            crops.append(crop.float())
        stack = torch.nn.functional.interpolate(
            torch.stack(crops), size=(size, size), mode='bilinear', align_corners=False)
        views.append((stack - MEAN) / STD)
    return views


def kinds(guide_scale: float,
          depth: int,
          plugin: Optional[str] = None,
          model_configs: str = MODEL_CONFIGS) -> Dict[str, dict]:
    """Model configs by name; the first is the base method the others are compared with.

    For a plugin, ``guide_scale`` is the GS model's and ``model_configs`` holds its model."""
    if plugin:
        return dict(
            base=plugin_cfg(plugin, depth, False, model_configs=model_configs),
            gs=plugin_cfg(plugin, depth, True, guide_scale, model_configs))
    return {
        'simclr': model_cfg('SimCLR', depth),
        'eff': model_cfg('GraSS', depth, guide='efficient'),
        'ref': model_cfg('GraSS', depth, guide='reference'),
        'scale': model_cfg('GraSS', depth, guide='efficient', guide_scale=guide_scale),
    }


def build(kinds: Dict[str, dict], checkpoint: Optional[str], device: str) -> dict:
    """The models of ``kinds``, all with the first one's initial (or loaded) weights."""
    torch.manual_seed(0)
    MessageHub.get_current_instance().update_info('max_iters', 1000)  # BYOL's CosineEMA reads it
    models = {}
    state = None
    for name, cfg in kinds.items():
        model = MODELS.build(cfg)
        if state is None:
            model.init_weights()
            if checkpoint:
                loaded = load_local_checkpoint(checkpoint, map_location='cpu')
                model.load_state_dict(loaded.get('state_dict', loaded), strict=False)
            state = copy.deepcopy(model.state_dict())
        model.load_state_dict(state)
        models[name] = model.to(device).train()
    return models


def step_fn(model, views, device: str, amp: bool = False) -> Callable[[], None]:
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    scaler = torch.amp.GradScaler(device, enabled=amp)

    def step():
        with torch.autocast(device, dtype=torch.float16, enabled=amp):
            losses = model.loss(views, None)
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))  # DenseCL has two
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if device == 'cuda':
            torch.cuda.synchronize()

    return step
