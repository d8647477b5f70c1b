"""GraSS vs SimCLR (and GS on other methods): step time, selection cost, peak memory.

The measurements behind the ``benchmark_speed.py`` tool: models built with identical
weights, neck, head and input (:mod:`.models`); their training steps interleaved; medians
compared as ratios. CPU peak memory is measured in a fresh process per model
(``python -m grass_mm.speed.measure``), because forking a process whose OpenMP pool has run can
hang.
"""
import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from typing import Callable, Dict, List, Optional

import torch
from mmengine.logging import MMLogger
from torchvision.ops import box_iou

from grass_mm.models.utils import crop_and_resize, select_regions
from .models import SpeedSettings, build, kinds, make_views, step_fn


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
