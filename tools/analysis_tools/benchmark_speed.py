"""GraSS vs SimCLR: step time, selection cost and peak memory, measured side by side.

    python tools/analysis_tools/benchmark_speed.py                     # CPU, small batches
    python tools/analysis_tools/benchmark_speed.py --device cuda --batch 256

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
from mmengine.logging import MMLogger
from mmpretrain.registry import MODELS

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.datasets.synthetic import render_scene
from grass_mm.models.utils import crop_and_resize, select_regions

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


def kinds(guide_scale: float) -> Dict[str, tuple]:
    return {
        'simclr': ('SimCLR', {}),
        'eff': ('GraSS', dict(guide='efficient')),
        'ref': ('GraSS', dict(guide='reference')),
        'scale': ('GraSS', dict(guide='efficient', guide_scale=guide_scale)),
    }


def build(kinds: Dict[str, tuple], depth: int, checkpoint: str, device: str) -> dict:
    torch.manual_seed(0)
    models = {}
    state = None
    for name, (kind, grass) in kinds.items():
        model = MODELS.build(model_cfg(kind, depth, **grass))
        if state is None:
            model.init_weights()
            if checkpoint:
                loaded = torch.load(checkpoint, map_location='cpu', weights_only=False)
                model.load_state_dict(loaded.get('state_dict', loaded), strict=False)
            state = copy.deepcopy(model.state_dict())
        model.load_state_dict(state)
        models[name] = model.to(device).train()
    return models


def step_fn(model, views, device: str) -> Callable[[], None]:
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def step():
        loss = model.loss(views, None)['loss']
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device == 'cuda':
            torch.cuda.synchronize()

    return step


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_memory(model, views, device: str, steps: int) -> float:
    """Peak memory of ``steps`` training steps after the first, in bytes (CUDA allocator)."""
    step = step_fn(model, views, device)
    step()  # optimizer state exists from here on, as in training
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(steps):
        step()
    return float(torch.cuda.max_memory_allocated())


def rss_growth(name: str, depth: int, size: int, args: argparse.Namespace) -> float:
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
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return float(out.split('RSS_GROWTH ')[-1].split()[0])


def report_rss_growth(args: argparse.Namespace) -> None:
    depth, size = args.depths[0], args.sizes[0]
    model = build(kinds(args.guide_scale), depth, args.checkpoint, 'cpu')[args.memory_of]
    views = make_views(args.batch, size, args.seed)
    step = step_fn(model, views, 'cpu')
    with open('/proc/self/statm') as f:  # before any step: the allocator holds no activations
        before = int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    for _ in range(1 + max(2, args.warmup)):
        step()
    print('RSS_GROWTH', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before)


def measure(depth: int, size: int, args: argparse.Namespace) -> dict:
    models = build(kinds(args.guide_scale), depth, args.checkpoint, args.device)
    views = [v.to(args.device) for v in make_views(args.batch, size, args.seed)]
    steps = {name: step_fn(model, views, args.device) for name, model in models.items()}
    times: Dict[str, list] = {name: [] for name in models}
    for i in range(args.warmup + args.steps):  # interleaved: drift hits every method alike
        for name, step in steps.items():
            elapsed = timed(step)
            if i >= args.warmup:
                times[name].append(elapsed)
    median = {name: statistics.median(t) for name, t in times.items()}

    # Selection + cropping on this step's real maps, timed alone.
    eff = models['eff']
    flat = torch.stack(views, 1).flatten(0, 1)
    maps = eff.gradient_maps(flat)
    sync = torch.cuda.synchronize if args.device == 'cuda' else (lambda: None)

    def select_and_crop():
        boxes = select_regions(maps, (size, size), eff.threshold_ratio)
        crop_and_resize(flat, boxes, mode=eff.crop_interpolation)
        sync()

    select_and_crop()
    select_time = statistics.median(timed(select_and_crop) for _ in range(args.steps))

    scaled = copy.deepcopy(eff)
    scaled.guide_scale = args.guide_scale
    full_boxes = select_regions(maps, (size, size))
    scaled_boxes = select_regions(scaled.gradient_maps(flat), (size, size))
    if args.device == 'cuda':
        memory = {
            name: peak_memory(models[name], views, args.device, max(2, args.warmup))
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
    device = torch.cuda.get_device_name() if args.device == 'cuda' else \
        f'CPU, {torch.get_num_threads()} threads'
    print(f'# GraSS vs SimCLR, {device}, torch {torch.__version__}, batch {args.batch} '
          f'images (x2 views), median of {args.steps} steps after {args.warmup}, '
          f'seed {args.seed}, weights: {args.checkpoint or "random init"}')
    print('| backbone | views | SimCLR step (s) | eff / SimCLR | ref / SimCLR | select share | '
          f'mem eff / SimCLR | mem ref / SimCLR | scale {args.guide_scale} / SimCLR | box IoU |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for depth in args.depths:
        for size in args.sizes:
            r = measure(depth, size, args)
            print(
                f"| ResNet-{r['depth']} | {r['size']} px | {r['simclr']:.3f} | "
                f"{r['eff']:.2f}x | {r['ref']:.2f}x | {r['share']:.1%} | "
                f"{r['mem_eff']:.2f}x | {r['mem_ref']:.2f}x | {r['scale']:.2f}x | "
                f"{r['iou']:.2f} |",
                flush=True)


if __name__ == '__main__':
    main()
