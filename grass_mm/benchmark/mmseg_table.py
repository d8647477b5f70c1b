"""The MMSeg-style tables of a paired benchmark's fine-tunings: every run, and method x dataset
with each GS method against its base (:mod:`grass_mm.benchmark.results`, ``collect_paired.py``)."""
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .stats import t_interval
from .tables import method_order


def segmentation_table(cells: List[dict]) -> str:
    """The mmseg fine-tunings: final scores, the difference to SimCLR, the validation curve."""
    seg = [c for c in cells if c['kind'] == 'segmentation']
    if not seg:
        return 'None in the record.\n'
    order = ['random', 'simclr', 'simclr-rscolor', 'grass', 'grass-random-boxes']
    seg.sort(key=lambda c: (c['name'], c['pretrain_seed'], str(c['fold']), c['metrics']['seed'],
                            order.index(c['method']) if c['method'] in order else 99))
    classes = sorted(k for k in seg[0]['metrics'] if k.startswith('IoU.'))
    steps = [s for s, _ in seg[0]['metrics']['curve']]
    lines = [
        '| config | seed | fold | ft seed | method | epoch | mIoU | − SimCLR | aAcc | ' +
        ''.join(f'{k[4:]} | ' for k in classes) + 'mIoU at ' + ' / '.join(map(str, steps)) + ' |',
        '|---' * (10 + len(classes)) + '|'
    ]
    floors = {}
    for c in seg:
        m = c['metrics']
        if 'floor.mIoU' in m:
            floors[(c['name'], c['pretrain_seed'], c['fold'])] = m
        ref = next(
            (r for r in seg
             if r['method'] == 'simclr' and r['name'] == c['name'] and r['pretrain_seed'] ==
             c['pretrain_seed'] and r['fold'] == c['fold'] and r['metrics']['seed'] == m['seed']),
            None)
        diff = '' if ref is None or ref is c else f"{m['mIoU'] - ref['metrics']['mIoU']:+.2f}"
        fold = '–' if c['fold'] is None else c['fold']
        lines.append(f"| {c['name']} | {c['pretrain_seed']} | {fold} | {m['seed']} | "
                     f"{c['method']} | {c['epoch']} | {m['mIoU']:.2f} | {diff} | "
                     f"{m['aAcc']:.2f} | " + ''.join(f'{m[k]:.2f} | ' for k in classes) +
                     ' / '.join(f'{v:.2f}' for _, v in m['curve']) + ' |')
    for (name, seed, fold), m in floors.items():
        lines.append(f"| {name} | {seed} | {'–' if fold is None else fold} | | floor (majority "
                     f"class) | | {m['floor.mIoU']:.2f} | | {m['floor.aAcc']:.2f} |" + ' |' *
                     (len(classes) + 1))
    return '\n'.join(lines) + '\n'


def seg_seed_means(cells: List[dict], method: str) -> Dict[int, float]:
    """Pretraining seed -> the mean mIoU of ``method``'s fine-tunings (over fine-tuning seeds)."""
    runs: Dict[int, List[float]] = defaultdict(list)
    for c in cells:
        if c['kind'] == 'segmentation' and c['method'] == method:
            runs[c['pretrain_seed']].append(c['metrics']['mIoU'])
    return {s: float(np.mean(v)) for s, v in runs.items()}


def _mean_t(per_seed: Dict[int, float], sign: str = '') -> str:
    """``mean (t 95 % over seeds)`` of per-seed values; the mean alone for one seed."""
    if not per_seed:
        return '–'
    mean = np.mean(list(per_seed.values()))
    ci = t_interval({s: [v] for s, v in per_seed.items()})
    interval = '' if ci is None else f' (t {ci[0]:{sign}.2f} .. {ci[1]:{sign}.2f})'
    return f'{mean:{sign}.2f}' + interval


def gs_table(records: Dict[str, List[dict]], pairs: Sequence[Tuple[str, str]]) -> str:
    """The MMSeg-style table of a benchmark: method x dataset, mIoU as the mean over pretraining
    seeds with the t-interval over seed means, then each GS method − its base, paired by seed.

    Args:
        records: Dataset name -> its record's cells (one record gives one column).
        pairs: ``(GS method, base)`` record names, e.g. ``('gs-mocov2', 'mocov2')``.
    """
    names = list(records)
    lines = ['| method | ' + ' | '.join(names) + ' |', '|---|' + '---|' * len(names)]
    for method in method_order([c for cells in records.values() for c in cells], 'segmentation'):
        lines.append(f'| {method} | ' +
                     ' | '.join(_mean_t(seg_seed_means(records[n], method)) for n in names) + ' |')
    for gs, base in pairs:
        cols = []
        for n in names:
            a, b = seg_seed_means(records[n], gs), seg_seed_means(records[n], base)
            diffs = {s: a[s] - b[s] for s in sorted(set(a) & set(b))}
            cols.append(_mean_t(diffs, '+'))
        lines.append(f'| **{gs} − {base}** | ' + ' | '.join(cols) + ' |')
    return '\n'.join(lines) + '\n'
