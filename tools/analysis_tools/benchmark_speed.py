"""GraSS vs SimCLR: step time, selection cost and peak memory, measured side by side.

    python tools/analysis_tools/benchmark_speed.py                     # CPU, small batches
    python tools/analysis_tools/benchmark_speed.py --device cuda --batch 256 --amp
    python tools/analysis_tools/benchmark_speed.py --plugins mocov2 byol densecl

For each backbone depth and view size, SimCLR and GraSS (efficient guide, reference guide,
efficient guide at ``--guide-scale``) are built with identical weights, neck, head and input.
Their training steps (forward, backward, SGD update) are interleaved, ``--steps`` times each
after ``--warmup`` steps, and the medians are compared. Printed ratios (targets in brackets):

- eff / SimCLR: efficient-guide GraSS step over a SimCLR step (<= 1.40)
- ref / SimCLR: reference full-backward guide (for comparison)
- select share: region selection + cropping over the efficient GraSS step (<= 3 %)
- mem eff / ref: peak memory over SimCLR's (<= 1.10). CUDA: max allocated bytes. CPU: the
  growth of peak RSS over the RSS before the first step, each method in a fresh process
  (activations, gradients, optimizer state; the framework and weights are left out of both).
- scale / SimCLR and box IoU: the efficient guide on views resized by ``--guide-scale``
  (<= 1.15) and the mean IoU of its boxes with the full-scale guide's (>= 0.8).

With ``--plugins``, a second table puts GS on each named base method (GSMoCoV2, GSBYOL,
GSDenseCL, efficient guide) against that method, built from ``configs/_base_/models/`` with the
backbone depth changed: GS step / base step (<= 1.45), selection share and peak memory.

``--amp`` (CUDA only) runs every step under fp16 autocast with a GradScaler, as
``tools/train.py --amp`` does.

Timings are noisy on shared machines: compare ratios from one run, never across runs.
"""
import argparse
import copy
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List

import numpy as np
import torch
from mmcv.ops import bbox_overlaps
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmpretrain.registry import MODELS

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.datasets.synthetic import render_scene
from grass_mm.models.utils import crop_and_resize, select_regions

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = dict(
    mocov2=('MoCo', 'GSMoCoV2'), byol=('BYOL', 'GSBYOL'), densecl=('DenseCL', 'GSDenseCL'))
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--depths', type=int, nargs='+', default=[18, 50])
    parser.add_argument('--sizes', type=int, nargs='+', default=[128, 224])
    parser.add_argument('--batch', type=int, default=16, help='images per step (2 views each)')
    parser.add_argument('--steps', type=int, default=5, help='measured steps per method')
    parser.add_argument('--warmup', type=int, default=2, help='unmeasured steps per method')
    parser.add_argument('--guide-scale', type=float, default=0.5)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--checkpoint',
        help='GraSS/SimCLR checkpoint for the weights '
        '(boxes of a trained network are more stable than a random one)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--plugins',
        nargs='*',
        default=[],
        choices=sorted(PLUGINS),
        help='also time GS on these base methods against the method itself')
    parser.add_argument(
        '--plugin-guide-scale',
        type=float,
        default=1.0,
        help='guide_scale of the GS models in the --plugins table')
    parser.add_argument(
        '--only-plugins', action='store_true', help='skip the GraSS vs SimCLR table')
    parser.add_argument('--amp', action='store_true', help='fp16 autocast + GradScaler (CUDA)')
    parser.add_argument('--memory-of', help=argparse.SUPPRESS)  # internal: CPU memory child
    return parser.parse_args()


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


def plugin_cfg(method: str, depth: int, gs: bool, guide_scale: float = 1.0) -> dict:
    """The repo's ResNet-50 model of ``method`` at ``depth``, per-process BN, GS or not."""
    cfg = Config.fromfile(
        os.path.join(REPO, 'configs', '_base_', 'models', f'{method}_resnet50.py')).model.to_dict()
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


def kinds(guide_scale: float, depth: int, plugin: str = None) -> Dict[str, dict]:
    """Model configs by name; the first is the base method the others are compared with.

    For a plugin, ``guide_scale`` is the GS model's."""
    if plugin:
        return dict(
            base=plugin_cfg(plugin, depth, False), gs=plugin_cfg(plugin, depth, True, guide_scale))
    return {
        'simclr': model_cfg('SimCLR', depth),
        'eff': model_cfg('GraSS', depth, guide='efficient'),
        'ref': model_cfg('GraSS', depth, guide='reference'),
        'scale': model_cfg('GraSS', depth, guide='efficient', guide_scale=guide_scale),
    }


def build(kinds: Dict[str, dict], checkpoint: str, device: str) -> dict:
    torch.manual_seed(0)
    MessageHub.get_current_instance().update_info('max_iters', 1000)  # BYOL's CosineEMA reads it
    models = {}
    state = None
    for name, cfg in kinds.items():
        model = MODELS.build(cfg)
        if state is None:
            model.init_weights()
            if checkpoint:
                loaded = torch.load(checkpoint, map_location='cpu', weights_only=False)
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
               args: argparse.Namespace,
               plugin: str = None) -> float:
    """CPU: peak-RSS growth of ``name``'s steps, in a fresh process (forking a process whose
    OpenMP pool has run can hang). Same seed, so the same weights and input."""
    cmd = [
        sys.executable, __file__, '--depths',
        str(depth), '--sizes',
        str(size), '--batch',
        str(args.batch), '--warmup',
        str(args.warmup), '--seed',
        str(args.seed), '--device', 'cpu', '--memory-of', name
    ]
    if args.checkpoint:
        cmd += ['--checkpoint', args.checkpoint]
    if plugin:
        cmd += ['--plugins', plugin, '--plugin-guide-scale', str(args.plugin_guide_scale)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return float(out.split('RSS_GROWTH ')[-1].split()[0])


def report_rss_growth(args: argparse.Namespace) -> None:
    depth, size = args.depths[0], args.sizes[0]
    plugin = args.plugins[0] if args.plugins else None
    scale = args.plugin_guide_scale if plugin else args.guide_scale
    model = build(kinds(scale, depth, plugin), args.checkpoint, 'cpu')[args.memory_of]
    views = make_views(args.batch, size, args.seed)
    step = step_fn(model, views, 'cpu')
    with open('/proc/self/statm') as f:  # before any step: the allocator holds no activations
        before = int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    for _ in range(1 + max(2, args.warmup)):
        step()
    print('RSS_GROWTH', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before)


def time_steps(models: dict, views: List[torch.Tensor], args: argparse.Namespace) -> dict:
    """Median step time per model, the models' steps interleaved (drift hits all alike)."""
    steps = {name: step_fn(model, views, args.device, args.amp) for name, model in models.items()}
    times: Dict[str, list] = {name: [] for name in models}
    for i in range(args.warmup + args.steps):
        for name, step in steps.items():
            elapsed = timed(step)
            if i >= args.warmup:
                times[name].append(elapsed)
    return {name: statistics.median(t) for name, t in times.items()}


def selection_time(model, views: List[torch.Tensor], args: argparse.Namespace) -> float:
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


def measure_plugin(plugin: str, depth: int, size: int, args: argparse.Namespace) -> dict:
    models = build(kinds(args.plugin_guide_scale, depth, plugin), args.checkpoint, args.device)
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


def measure(depth: int, size: int, args: argparse.Namespace) -> dict:
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
        iou=bbox_overlaps(full_boxes.float(), scaled_boxes.float(), aligned=True).mean().item())


def main() -> None:
    args = parse_args()
    # The results are tables: no initialisation reports while models are built.
    MMLogger.get_instance('mmengine').setLevel('WARNING')
    if args.memory_of:
        return report_rss_growth(args)
    if args.amp and args.device != 'cuda':
        raise SystemExit('benchmark_speed: --amp needs --device cuda (fp16 autocast)')
    device = torch.cuda.get_device_name() if args.device == 'cuda' else \
        f'CPU, {torch.get_num_threads()} threads'
    print(f'# GraSS vs SimCLR, {device}, torch {torch.__version__}, batch {args.batch} '
          f'images (x2 views), median of {args.steps} steps after {args.warmup}, '
          f'seed {args.seed}, weights: {args.checkpoint or "random init"}'
          f'{", AMP fp16" if args.amp else ""}')
    print('| backbone | views | SimCLR step (s) | eff / SimCLR | ref / SimCLR | select share | '
          f'mem eff / SimCLR | mem ref / SimCLR | scale {args.guide_scale} / SimCLR | box IoU |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for depth in [] if args.only_plugins else args.depths:
        for size in args.sizes:
            r = measure(depth, size, args)
            print(
                f"| ResNet-{r['depth']} | {r['size']} px | {r['simclr']:.3f} | "
                f"{r['eff']:.2f}x | {r['ref']:.2f}x | {r['share']:.1%} | "
                f"{r['mem_eff']:.2f}x | {r['mem_ref']:.2f}x | {r['scale']:.2f}x | "
                f"{r['iou']:.2f} |",
                flush=True)
    if not args.plugins:
        return
    print('\n# GS on other methods (efficient guide, guide_scale '
          f'{args.plugin_guide_scale}) vs the method itself, random init')
    print('| base method | backbone | views | base step (s) | GS / base | select share | '
          'mem GS / base |')
    print('|---|---|---|---|---|---|---|')
    for plugin in args.plugins:
        for depth in args.depths:
            for size in args.sizes:
                r = measure_plugin(plugin, depth, size, args)
                print(
                    f"| {PLUGINS[plugin][0]} | ResNet-{depth} | {size} px | {r['base']:.3f} | "
                    f"{r['gs']:.2f}x | {r['share']:.1%} | {r['mem']:.2f}x |",
                    flush=True)


if __name__ == '__main__':
    main()
