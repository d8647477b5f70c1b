"""What a paired benchmark cost: each step's wall time and each GS twin's step time against its
base method's, measured in the same run.

A training step's time is read from mmengine's own log (``vis_data/scalars.json``: the ``time``
of each logged iteration, data loading included) rather than from the step's wall time, which
also holds the start, the checkpoints and the online probe. The median over the logged
iterations is used because the machine may be shared (another job's burst moves the mean, not
the median).
"""
import glob
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Sequence

import numpy as np

from grass_mm.utils.scalars import scalar_curve


def step_time_cells(seed_dir: str, seed: int) -> List[dict]:
    """``kind='step_time'`` cells: per pretraining folder, the median seconds of its logged
    iterations (every run in the folder, an interrupted one's included)."""
    cells = []
    for arm_dir in sorted(glob.glob(osp.join(seed_dir, 'pretrain', '*'))):
        times = [t for _, t in scalar_curve(arm_dir, 'time')]
        if times:
            cells.append(
                dict(
                    kind='step_time',
                    name=osp.basename(arm_dir),
                    pretrain_seed=seed,
                    metrics=dict(median_s=float(np.median(times)), logged_iters=len(times))))
    return cells


def step_cost_table(cells: List[dict], pairs: Sequence[Sequence[str]]) -> str:
    """Per (GS twin, base) pair of arms: each seed's median step time of both and their ratio,
    and the mean ratio over seeds."""
    times: Dict[str, Dict[int, dict]] = defaultdict(dict)
    for c in cells:
        if c['kind'] == 'step_time':
            times[c['name']][c['pretrain_seed']] = c['metrics']
    lines = [
        '| GS twin / base | seed | GS step (s) | base step (s) | ratio |', '|---|---|---|---|---|'
    ]
    for gs, base in pairs:
        ratios = []
        for seed in sorted(set(times[gs]) & set(times[base])):
            g, b = times[gs][seed]['median_s'], times[base][seed]['median_s']
            ratios.append(g / b)
            lines.append(f'| {gs} / {base} | {seed} | {g:.3f} | {b:.3f} | {g / b:.2f} |')
        if len(ratios) > 1:
            lines.append(f'| {gs} / {base} | **mean** | | | {np.mean(ratios):.2f} |')
    return '\n'.join(lines) + '\n'


def timing_table(cells: List[dict]) -> str:
    """Every step's wall time and peak memory per seed, and each seed's total."""
    lines = ['| seed | step | wall (s) | peak RSS (GB) |', '|---|---|---|---|']
    total = defaultdict(float)
    for c in sorted((c for c in cells if c['kind'] == 'timing'),
                    key=lambda c: (c['pretrain_seed'], c['name'])):
        total[c['pretrain_seed']] += c['metrics']['wall_s']
        lines.append(f"| {c['pretrain_seed']} | {c['name']} | {c['metrics']['wall_s']:.0f} | "
                     f"{c['metrics']['max_rss_gb']:.2f} |")
    for seed, t in sorted(total.items()):
        lines.append(f'| {seed} | **all steps** | {t:.0f} ({t / 3600:.2f} h) | |')
    return '\n'.join(lines) + '\n'
