"""Candidate guides screened by sampling purity: record cells, the table and the gate.

Each screen is ``sampling_purity.py --guides ... --thresholds ...`` on one checkpoint of one
pretraining seed, written to ``WORK_DIR/seed<N>/guides/<source>/screen.json`` (``source``: e.g.
``warmup_ep3``, ``grass_ep30``). A guide passes the gate, and earns a pretraining arm, only if
its purity - random interval lies above 0 at :data:`GATE_SEEDS` of the seeds screened at the
gate's checkpoint.
"""
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import List, Optional

#: Seeds (of three) at which a guide's purity - random interval must lie above 0.
GATE_SEEDS = 2


def screen_cells(seed_dir: str, seed: int) -> List[dict]:
    """``kind='guide'`` cells from one seed's screens: one per source, guide and threshold."""
    cells = []
    for path in sorted(glob.glob(osp.join(seed_dir, 'guides', '*', 'screen.json'))):
        source = osp.basename(osp.dirname(path))
        with open(path) as f:
            screen = json.load(f)
        for row in screen['rows']:
            keep = ('views_used', 'mean_box_area', 'purity_gs', 'purity_random', 'purity_whole',
                    'single_object_share', 'gs_minus_random')
            cells.append(
                dict(
                    kind='guide',
                    name=f"{row['guide']}@{row['threshold']:g}",
                    method=source,
                    pretrain_seed=seed,
                    metrics={k: row[k]
                             for k in keep}))
    return cells


def gate(cells: List[dict], source: str, seeds_needed: int = GATE_SEEDS) -> dict:
    """guide@threshold -> (seeds whose interval lies above 0, seeds screened) at ``source``."""
    out = defaultdict(lambda: [0, 0])
    for c in cells:
        if c['kind'] == 'guide' and c['method'] == source:
            low = c['metrics']['gs_minus_random']['ci95'][0]
            out[c['name']][0] += int(low > 0)
            out[c['name']][1] += 1
    return {k: tuple(v) for k, v in out.items()}


def screen_table(cells: List[dict], gate_source: Optional[str] = None) -> str:
    """Per checkpoint source, guide and threshold: box area, purity, boxes - random per seed."""
    guides = [c for c in cells if c['kind'] == 'guide']
    if not guides:
        return 'None in the record.\n'
    seeds = sorted({c['pretrain_seed'] for c in guides})
    lines = [
        '| checkpoint | guide @ threshold | box area | purity | ' +
        ' | '.join(f'boxes − random, seed {s} (95 % CI)' for s in seeds) + ' | gate |',
        '|---|---|---|---|' + '---|' * (len(seeds) + 1)
    ]
    passed = gate(cells, gate_source) if gate_source else {}
    by = defaultdict(dict)
    for c in guides:
        by[(c['method'], c['name'])][c['pretrain_seed']] = c['metrics']
    for (source, name), per_seed in sorted(by.items()):
        cols = []
        for s in seeds:
            d = per_seed.get(s, {}).get('gs_minus_random')
            cols.append('–' if d is
                        None else f"{d['mean']:+.3f} ({d['ci95'][0]:+.3f} .. {d['ci95'][1]:+.3f})")
        verdict = ''
        if source == gate_source and name in passed:
            up, screened = passed[name]
            left = max(0, 3 - screened)
            if up >= GATE_SEEDS:
                word = '**passes**'
            elif GATE_SEEDS - up > left:
                word = 'fails'
            else:
                word = f'open: needs {GATE_SEEDS - up} of the {left} seeds left'
            verdict = f'{up}/{screened} above 0: {word}'
        area = sum(m['mean_box_area'] or 0 for m in per_seed.values()) / len(per_seed)
        purity = sum(m['purity_gs'] for m in per_seed.values()) / len(per_seed)
        lines.append(f'| {source} | {name} | {area:.2f} | {purity:.3f} | ' + ' | '.join(cols) +
                     f' | {verdict} |')
    return '\n'.join(lines) + '\n'
