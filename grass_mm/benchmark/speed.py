"""GraSS vs SimCLR (and GS on other methods): step time, selection cost, peak memory.

The measurements behind the ``benchmark_speed.py`` tool: models built with identical
weights, neck, head and input; their training steps interleaved; medians compared as ratios.
CPU peak memory is measured in a fresh process per model (``python -m grass_mm.benchmark.speed``),
because forking a process whose OpenMP pool has run can hang.
"""
import copy
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmpretrain.registry import MODELS
from torchvision.ops import box_iou

from grass_mm.datasets.synthetic import render_scene
from grass_mm.models.utils import crop_and_resize, select_regions
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


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_memory(model, views, device: str, steps: int, amp: bool) -> float:
    """Peak memory of ``steps`` training steps after the first, in bytes (CUDA allocator)."""
    step = step_fn(model, views, device, amp)
    step()  # optimizer state exists from here on, as in training
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(steps):
        step()
    return float(torch.cuda.max_memory_allocated())


def rss_growth(name: str,
               depth: int,
               size: int,
               args: 'SpeedSettings',
               plugin: Optional[str] = None) -> float:
    """CPU: peak-RSS growth of ``name``'s steps, in a fresh process (forking a process whose
    OpenMP pool has run can hang). Same seed, so the same weights and input."""
    job = dict(name=name, depth=depth, size=size, plugin=plugin, settings=asdict(args))
    out = subprocess.run(
        [sys.executable, '-m', __name__, json.dumps(job)],
        capture_output=True,
        text=True,
        check=True).stdout
    return float(out.split('RSS_GROWTH ')[-1].split()[0])


def _report_rss_growth(name: str, depth: int, size: int, plugin: Optional[str],
                       settings: dict) -> None:
    """The child of :func:`rss_growth`: build one model, step it, print the peak-RSS growth."""
    args = SpeedSettings(**settings)
    scale = args.plugin_guide_scale if plugin else args.guide_scale
    model = build(kinds(scale, depth, plugin, args.model_configs), args.checkpoint, 'cpu')[name]
    views = make_views(args.batch, size, args.seed)
    step = step_fn(model, views, 'cpu')
    with open('/proc/self/statm') as f:  # before any step: the allocator holds no activations
        before = int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    for _ in range(1 + max(2, args.warmup)):
        step()
    print('RSS_GROWTH', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before)


def time_steps(models: dict, views: List[torch.Tensor], args: 'SpeedSettings') -> dict:
    """Median step time per model, the models' steps interleaved (drift hits all alike)."""
    steps = {name: step_fn(model, views, args.device, args.amp) for name, model in models.items()}
    times: Dict[str, list] = {name: [] for name in models}
    for i in range(args.warmup + args.steps):
        for name, step in steps.items():
            elapsed = timed(step)
            if i >= args.warmup:
                times[name].append(elapsed)
    return {name: statistics.median(t) for name, t in times.items()}


def selection_time(model, views: List[torch.Tensor], args: 'SpeedSettings') -> float:
    """Median time of region selection + cropping on this batch's real maps, timed alone."""
    flat = torch.stack(views, 1).flatten(0, 1)
    size = flat.shape[-2:]
    with torch.autocast(args.device, dtype=torch.float16, enabled=args.amp):
        maps = model.gradient_maps(flat)
    sync = torch.cuda.synchronize if args.device == 'cuda' else (lambda: None)

    def select_and_crop():
        boxes = select_regions(maps, size, model.threshold_ratio)
        crop_and_resize(flat, boxes, mode=model.crop_interpolation)
        sync()

    select_and_crop()
    return statistics.median(timed(select_and_crop) for _ in range(args.steps))


def measure_plugin(plugin: str, depth: int, size: int, args: 'SpeedSettings') -> dict:
    models = build(
        kinds(args.plugin_guide_scale, depth, plugin, args.model_configs), args.checkpoint,
        args.device)
    views = [v.to(args.device) for v in make_views(args.batch, size, args.seed)]
    median = time_steps(models, views, args)
    if args.device == 'cuda':
        memory = {
            name: peak_memory(model, views, args.device, max(2, args.warmup), args.amp)
            for name, model in models.items()
        }
    else:
        memory = {name: rss_growth(name, depth, size, args, plugin) for name in models}
    return dict(
        depth=depth,
        size=size,
        base=median['base'],
        gs=median['gs'] / median['base'],
        share=selection_time(models['gs'], views, args) / median['gs'],
        mem=memory['gs'] / memory['base'])


def measure(depth: int, size: int, args: 'SpeedSettings') -> dict:
    models = build(kinds(args.guide_scale, depth), args.checkpoint, args.device)
    views = [v.to(args.device) for v in make_views(args.batch, size, args.seed)]
    median = time_steps(models, views, args)
    eff = models['eff']
    select_time = selection_time(eff, views, args)
    flat = torch.stack(views, 1).flatten(0, 1)
    maps = eff.gradient_maps(flat)

    scaled = copy.deepcopy(eff)
    scaled.guide_scale = args.guide_scale
    full_boxes = select_regions(maps, (size, size))
    scaled_boxes = select_regions(scaled.gradient_maps(flat), (size, size))
    if args.device == 'cuda':
        memory = {
            name: peak_memory(models[name], views, args.device, max(2, args.warmup), args.amp)
            for name in ('simclr', 'eff', 'ref')
        }
    else:
        memory = {name: rss_growth(name, depth, size, args) for name in ('simclr', 'eff', 'ref')}
    return dict(
        depth=depth,
        size=size,
        simclr=median['simclr'],
        eff=median['eff'] / median['simclr'],
        ref=median['ref'] / median['simclr'],
        share=select_time / median['eff'],
        mem_eff=memory['eff'] / memory['simclr'],
        mem_ref=memory['ref'] / memory['simclr'],
        scale=median['scale'] / median['simclr'],
        iou=box_iou(full_boxes.float(), scaled_boxes.float()).diagonal().mean().item())


if __name__ == '__main__':
    MMLogger.get_instance('mmengine').setLevel('WARNING')
    _report_rss_growth(**json.loads(sys.argv[1]))
