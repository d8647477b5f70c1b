"""The record of a paired benchmark (``cells.json``) and the tables generated from it.

One cell per probe result: ``kind`` (``'probe'``), ``method``, ``pretrain_seed``, ``epoch``,
``fold``, ``fraction``, ``readout`` (``'linear'`` / ``'knn'``) and ``metrics``; the floor of each
fold is a cell with ``method='floor'``. mmseg fine-tunings are ``kind='segmentation'`` cells
(``name``: the config). Purity results are ``kind='purity'`` cells, wall times
``kind='timing'`` and the batch digests ``kind='digest'``. A collection replaces the cells it
measured again and keeps the others, so a session whose work dir is gone still publishes what
earlier sessions measured.
"""
import glob
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from .reproduce import checkpoint_cells, reproduction_lines
from .screen import screen_cells, screen_table
from .stats import (MIN_SEEDS, hierarchical_bootstrap, seed_means, seeds_needed, t_interval,
                    variance_split, verdict)

KEY_FIELDS = ('kind', 'method', 'pretrain_seed', 'epoch', 'fold', 'fraction', 'readout', 'name')


def method_name(arm: str) -> str:
    """Record names use hyphens (``grass-random-boxes``); the run's folders use the arm key."""
    return arm.replace('_', '-')


def _probe_source(name: str, matrix: Config) -> List[Tuple[str, int]]:
    """(method, epoch) pairs one probe folder stands for (the warm-up for every continuation)."""
    if name == 'random':
        return [('random', 0)]
    arm, _, epoch = name.rpartition('_ep')
    epoch = int(epoch)
    if arm == 'warmup':
        return [(method_name(a), epoch) for a, s in matrix.arms.items() if s.from_ == 'warmup']
    return [(method_name(arm), epoch)]


def seed_cells(matrix: Config, seed_dir: str, seed: int) -> List[dict]:
    """Every cell one seed's folder holds."""
    cells = []
    for path in sorted(glob.glob(osp.join(seed_dir, 'probe', '*', 'probe.json'))):
        name = osp.basename(osp.dirname(path))
        with open(path) as f:
            probe = json.load(f)
        for fold, floor in probe['floor'].items():
            cells.append(
                dict(
                    kind='probe',
                    method='floor',
                    pretrain_seed=seed,
                    epoch=None,
                    fold=int(fold),
                    fraction=1.0,
                    readout='linear',
                    metrics=floor))
        backbone = probe['backbones'][0]
        for method, epoch in _probe_source(name, matrix):
            for fold, result in backbone['folds'].items():
                base = dict(
                    kind='probe',
                    method=method,
                    pretrain_seed=seed,
                    epoch=epoch,
                    fold=int(fold),
                    source=name)
                lin = {k: result['linear'][k] for k in ('mIoU', 'aAcc')}
                cells.append(dict(base, fraction=1.0, readout='linear', metrics=lin))
                cells.append(dict(base, fraction=1.0, readout='knn', metrics=result['knn']))
                for fraction, sub in result.get('linear_fractions', {}).items():
                    cells.append(
                        dict(
                            base,
                            fraction=float(fraction),
                            readout='linear',
                            metrics={k: sub[k]
                                     for k in ('mIoU', 'aAcc')}))
    for path in sorted(glob.glob(osp.join(seed_dir, 'purity', '*', 'summary.json'))):
        name = osp.basename(osp.dirname(path))
        arm, _, epoch = name.rpartition('_ep')
        with open(path) as f:
            s = json.load(f)
        keep = ('views', 'found_share', 'mean_box_area', 'purity_gs', 'purity_random',
                'purity_whole', 'single_object_share', 'gs_minus_random')
        cells.append(
            dict(
                kind='purity',
                method=method_name(arm),
                pretrain_seed=seed,
                epoch=int(epoch),
                metrics={k: s[k]
                         for k in keep if k in s}))
    for path in sorted(glob.glob(osp.join(seed_dir, 'seg', '*', 'result.json'))):
        arm, _, epoch = osp.basename(osp.dirname(path)).rpartition('_ep')
        with open(path) as f:
            r = json.load(f)
        keep = [k for k in r if k in ('mIoU', 'aAcc', 'mAcc') or k.startswith(('IoU.', 'floor.'))]
        cells.append(
            dict(
                kind='segmentation',
                method=method_name(arm),
                pretrain_seed=seed,
                epoch=int(epoch),
                fold=r['fold'],
                name=osp.splitext(osp.basename(r['config']))[0],
                metrics=dict({k: r[k]
                              for k in keep}, curve=r['curve'], seed=r['seed'])))
    timings = osp.join(seed_dir, 'timings.json')
    if osp.isfile(timings):
        with open(timings) as f:
            for name, t in json.load(f).items():
                cells.append(dict(kind='timing', name=name, pretrain_seed=seed, metrics=t))
    cells += checkpoint_cells(seed_dir, seed, matrix.warmup.epochs)
    cells += screen_cells(seed_dir, seed)
    for path in sorted(glob.glob(osp.join(seed_dir, 'pretrain', '*', 'batch_digests.json'))):
        with open(path) as f:
            cells.append(
                dict(
                    kind='digest',
                    name=osp.basename(osp.dirname(path)),
                    pretrain_seed=seed,
                    metrics=dict(batches=json.load(f))))
    return cells


def cell_key(cell: dict) -> tuple:
    return tuple(cell.get(k) for k in KEY_FIELDS)


def merge_cells(path: str, fresh: List[dict]) -> List[dict]:
    """Add ``fresh`` to the record at ``path`` (a cell measured again replaces its old twin)."""
    old = []
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
    keys = {cell_key(c) for c in fresh}
    cells = [c for c in old if cell_key(c) not in keys] + fresh
    cells.sort(key=lambda c: tuple(str(v) for v in cell_key(c)))
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(cells, f, indent=1)
    os.replace(path + '.tmp', path)
    return cells


# -- tables -------------------------------------------------------------------------------------
READOUTS = (('linear', 1.0, 'mIoU', 'linear mIoU'), ('linear', 0.1, 'mIoU', 'linear mIoU, 10 %'),
            ('knn', 1.0, 'mAcc', 'k-NN mAcc'))


def scores(cells: List[dict], method: str, epoch: Optional[int], readout: str, fraction: float,
           metric: str) -> Dict[int, Dict[int, float]]:
    """seed -> fold -> score of one method, epoch and read-out."""
    out: Dict[int, Dict[int, float]] = defaultdict(dict)
    for c in cells:
        if (c['kind'] == 'probe' and c['method'] == method and c['readout'] == readout
                and c['fraction'] == fraction and (method == 'floor' or c['epoch'] == epoch)):
            out[c['pretrain_seed']][c['fold']] = c['metrics'][metric]
    return dict(out)


def paired_diffs(a: Dict[int, Dict[int, float]],
                 b: Dict[int, Dict[int, float]]) -> Dict[int, List[float]]:
    """seed -> per-fold a - b, on the seeds and folds both have."""
    out = {}
    for seed in sorted(set(a) & set(b)):
        folds = sorted(set(a[seed]) & set(b[seed]))
        if folds:
            out[seed] = [a[seed][f] - b[seed][f] for f in folds]
    return out


def _pm(values) -> str:
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return f'{values.mean():.2f} ± {std:.2f}'


def _methods(cells: List[dict]) -> List[str]:
    order = [
        'random', 'simclr', 'simclr-rscolor', 'grass', 'grass-random-boxes', 'oracle-place',
        'oracle-single', 'oracle-single-random'
    ]
    found = {c['method'] for c in cells if c['kind'] == 'probe'} - {'floor'}
    return [m for m in order if m in found] + sorted(found - set(order))


def summary_table(cells: List[dict], epoch: int) -> str:
    """Means ± std over folds and seeds of every method at ``epoch``, with the floor."""
    rows = [
        '| method | seeds | ' + ' | '.join(r[3] for r in READOUTS) + ' |',
        '|---|---|' + '---|' * len(READOUTS)
    ]
    floor = scores(cells, 'floor', None, 'linear', 1.0, 'mIoU')
    if floor:
        vals = [v for s in floor.values() for v in s.values()]
        rows.append(f'| floor (majority class) | {len(floor)} | {_pm(vals)} | {_pm(vals)} | – |')
    for method in _methods(cells):
        e = 0 if method == 'random' else epoch
        cols, seeds = [], set()
        for readout, fraction, metric, _ in READOUTS:
            s = scores(cells, method, e, readout, fraction, metric)
            seeds |= set(s)
            vals = [v for f in s.values() for v in f.values()]
            cols.append(_pm(vals) if vals else '–')
        label = 'random init (the shared init)' if method == 'random' else method
        rows.append(f'| {label} | {len(seeds)} | ' + ' | '.join(cols) + ' |')
    return '\n'.join(rows) + '\n'


COMPARISONS = (('grass', 'simclr'), ('grass', 'grass-random-boxes'),
               ('grass-random-boxes', 'simclr'), ('simclr', 'random'), ('grass', 'random'),
               ('simclr-rscolor', 'simclr'), ('simclr-rscolor', 'random'))


def comparison_rows(cells: List[dict],
                    epoch: int,
                    draws: int = 10000,
                    comparisons: Sequence[Sequence[str]] = COMPARISONS) -> List[dict]:
    """Every paired difference at ``epoch``: per seed, overall, both intervals, the verdict.

    ``ci`` is the seeds-then-folds bootstrap, ``t_ci`` the t-interval over the seed means (None
    with one seed); ``verdict`` reads ``t_ci`` only (:func:`grass_mm.benchmark.stats.verdict`).
    """
    rows = []
    for a, b in comparisons:
        for readout, fraction, metric, label in READOUTS:
            sa = scores(cells, a, 0 if a == 'random' else epoch, readout, fraction, metric)
            sb = scores(cells, b, 0 if b == 'random' else epoch, readout, fraction, metric)
            diffs = paired_diffs(sa, sb)
            if not diffs:
                continue
            values = [v for d in diffs.values() for v in d]
            row = dict(
                a=a,
                b=b,
                readout=label,
                per_seed={
                    s: float(np.mean(d))
                    for s, d in diffs.items()
                },
                mean=float(np.mean(values)),
                folds_up=sum(v > 0 for v in values),
                folds=len(values),
                seeds=len(diffs),
                ci=hierarchical_bootstrap(diffs, 'both', draws),
                t_ci=t_interval(diffs))
            row['verdict'] = verdict(len(diffs), row['t_ci'])
            if len(diffs) > 1:
                row['seed_sd'] = float(seed_means(diffs).std(ddof=1))
                row['ci_seeds'] = hierarchical_bootstrap(diffs, 'seeds', draws)
                row['ci_folds'] = hierarchical_bootstrap(diffs, 'folds', draws)
                row['variance'] = variance_split(diffs)
            rows.append(row)
    return rows


def _ci(ci: Optional[Tuple[float, float]]) -> str:
    return '–' if ci is None else f'{ci[0]:+.2f} .. {ci[1]:+.2f}'


def comparison_table(rows: List[dict], seeds: List[int]) -> str:
    head = ('| difference | read-out | ' + ' | '.join(f'seed {s}' for s in seeds) +
            ' | mean | folds > 0 | bootstrap 95 % (seeds, then folds) | t 95 % (seed means) | '
            'verdict | dominant level |\n'
            '|---|---|' + '---|' * (len(seeds) + 6))
    lines = [head]
    for r in rows:
        per = ' | '.join(f"{r['per_seed'][s]:+.2f}" if s in r['per_seed'] else '–' for s in seeds)
        if 'variance' in r:
            v = r['variance']
            level = 'seeds' if v['between_seeds'] > v['within_seeds'] else 'folds'
            level += f" ({v['between_seeds']:.2f} vs {v['within_seeds']:.2f})"
        else:
            level = 'one seed: folds only'
        word = f"**{r['verdict']}**" if r['verdict'] == 'established' else r['verdict']
        lines.append(f"| {r['a']} − {r['b']} | {r['readout']} | {per} | {r['mean']:+.2f} | "
                     f"{r['folds_up']}/{r['folds']} | {_ci(r['ci'])} | {_ci(r.get('t_ci'))} | "
                     f'{word} | {level} |')
    return '\n'.join(lines) + '\n'


#: Effects the seeds-needed table is computed for: the paper's mean and largest GraSS gains
#: (mIoU) and a half point.
EFFECTS = (0.5, 1.57, 3.58)


def seeds_needed_table(rows: List[dict], effects: Sequence[float] = EFFECTS) -> str:
    """Seeds a t-test over seed means needs (80 % power, 95 %) for each effect, per difference.

    The spread is each difference's measured between-seed standard deviation of seed means (it
    holds the folds' noise too, as each seed mean does).
    """
    lines = [
        '| difference | read-out | sd of seed means | ' + ' | '.join(f'seeds for {e:+.2f}'
                                                                     for e in effects) + ' |',
        '|---|---|---|' + '---|' * len(effects)
    ]
    for r in rows:
        if 'seed_sd' not in r:
            continue
        cols = []
        for e in effects:
            n = seeds_needed(e, r['seed_sd'])
            cols.append('> 1000' if n is None else str(n))
        lines.append(f"| {r['a']} − {r['b']} | {r['readout']} | {r['seed_sd']:.2f} | " +
                     ' | '.join(cols) + ' |')
    return '\n'.join(lines) + '\n'


def curve_table(cells: List[dict], epochs: List[int]) -> str:
    """Each method's stage-4 linear mIoU and k-NN mAcc against epochs (mean over seeds, folds)."""
    lines = [
        '| method | read-out | ' + ' | '.join(f'epoch {e}' for e in [0] + list(epochs)) + ' |',
        '|---|---|' + '---|' * (len(epochs) + 1)
    ]
    random = {r: scores(cells, 'random', 0, r[0], r[1], r[2]) for r in READOUTS}
    for method in _methods(cells):
        if method == 'random':
            continue
        for readout in READOUTS:
            cols = []
            for e in [0] + list(epochs):
                s = random[readout] if e == 0 else scores(cells, method, e, *readout[:3])
                vals = [v for f in s.values() for v in f.values()]
                cols.append(f'{np.mean(vals):.2f}' if vals else '–')
            lines.append(f'| {method} | {readout[3]} | ' + ' | '.join(cols) + ' |')
    return '\n'.join(lines) + '\n'


def purity_table(cells: List[dict]) -> str:
    lines = [
        '| method | seed | epoch | boxes | random boxes, same size | whole views | '
        'boxes ≥ 0.9 pure | boxes − random (95 % CI) |', '|---|---|---|---|---|---|---|---|'
    ]
    for c in sorted((c for c in cells if c['kind'] == 'purity'),
                    key=lambda c: (c['method'], c['pretrain_seed'], c['epoch'])):
        m = c['metrics']
        d = m['gs_minus_random']
        lines.append(f"| {c['method']} | {c['pretrain_seed']} | {c['epoch']} | "
                     f"{m['purity_gs']:.3f} | {m['purity_random']:.3f} | "
                     f"{m['purity_whole']:.3f} | {m['single_object_share'] * 100:.1f} % | "
                     f"{d['mean']:+.3f} ({d['ci95'][0]:+.3f} .. {d['ci95'][1]:+.3f}) |")
    return '\n'.join(lines) + '\n'


def segmentation_table(cells: List[dict]) -> str:
    """The mmseg fine-tunings: final scores, the difference to SimCLR, the validation curve."""
    seg = [c for c in cells if c['kind'] == 'segmentation']
    if not seg:
        return 'None in the record.\n'
    order = ['random', 'simclr', 'simclr-rscolor', 'grass', 'grass-random-boxes']
    seg.sort(key=lambda c: (c['name'], c['pretrain_seed'], c['fold'], order.index(c['method'])
                            if c['method'] in order else 99))
    classes = sorted(k for k in seg[0]['metrics'] if k.startswith('IoU.'))
    steps = [s for s, _ in seg[0]['metrics']['curve']]
    lines = [
        '| config | seed | fold | method | epoch | mIoU | − SimCLR | aAcc | ' +
        ' | '.join(k[4:] for k in classes) + ' | mIoU at ' + ' / '.join(map(str, steps)) + ' |',
        '|---' * (9 + len(classes)) + '|'
    ]
    floors = {}
    for c in seg:
        m = c['metrics']
        if 'floor.mIoU' in m:
            floors[(c['name'], c['pretrain_seed'], c['fold'])] = m
        ref = next((r for r in seg if r['method'] == 'simclr' and r['name'] == c['name']
                    and r['pretrain_seed'] == c['pretrain_seed'] and r['fold'] == c['fold']), None)
        diff = '' if ref is None or ref is c else f"{m['mIoU'] - ref['metrics']['mIoU']:+.2f}"
        lines.append(f"| {c['name']} | {c['pretrain_seed']} | {c['fold']} | {c['method']} | "
                     f"{c['epoch']} | {m['mIoU']:.2f} | {diff} | {m['aAcc']:.2f} | " +
                     ' | '.join(f'{m[k]:.2f}' for k in classes) + ' | ' +
                     ' / '.join(f'{v:.2f}' for _, v in m['curve']) + ' |')
    for (name, seed, fold), m in floors.items():
        lines.append(f"| {name} | {seed} | {fold} | floor (majority class) | | "
                     f"{m['floor.mIoU']:.2f} | | {m['floor.aAcc']:.2f} |" + ' |' *
                     (len(classes) + 1))
    return '\n'.join(lines) + '\n'


def digest_check(cells: List[dict], matrix: Config) -> str:
    """Whether the continuation arms of each seed saw byte-identical first batches.

    Digests are compared at the same iterations; an arm whose recorded batches start later (its
    run resumed after an interruption, which records the batches it resumed with) is named as
    not checked rather than counted as different.
    """
    lines = []
    arms = [a for a, s in matrix.arms.items() if s.from_ == 'warmup']
    for seed in sorted({c['pretrain_seed'] for c in cells if c['kind'] == 'digest'}):
        got = {
            c['name']: c['metrics']['batches']
            for c in cells if c['kind'] == 'digest' and c['pretrain_seed'] == seed
        }
        present = [a for a in arms if a in got and got[a]]
        if not present:
            continue  # no continuation has started yet
        first = min(got[a][0].get('iter', 0) for a in present)
        checked = [a for a in present if got[a][0].get('iter', 0) == first]
        later = [a for a in present if a not in checked]
        count = min(len(got[a]) for a in checked)  # a resumed run may have recorded more
        same = len({tuple(b['digest'] for b in got[a][:count]) for a in checked}) == 1
        line = (f'- seed {seed}: the first {count} batches (from iteration '
                f"{first}) of {', '.join(checked)} are "
                f"{'byte-identical' if same else 'NOT identical'} (sha256 of the first: "
                f"{got[checked[0]][0]['digest'][:12]}…)")
        if later:
            line += (f"; {', '.join(later)} resumed after an interruption and recorded the "
                     f"batches from iteration {got[later[0]][0].get('iter')} on, so its first "
                     'batches are not in this record')
        lines.append(line)
    return '\n'.join(lines) + '\n'


def timing_table(cells: List[dict]) -> str:
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


def plot_curves(cells: List[dict], epochs: List[int], path: str) -> None:
    """Each method's read-outs against pretraining epochs (mean over seeds and folds, the seeds'
    spread as a band), the floor and random init at epoch 0."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(READOUTS), figsize=(4.2 * len(READOUTS), 3.4))
    floor = scores(cells, 'floor', None, 'linear', 1.0, 'mIoU')
    for ax, readout in zip(axes, READOUTS):
        random = scores(cells, 'random', 0, *readout[:3])
        for method in _methods(cells):
            if method == 'random':
                continue
            xs, means, lows, highs = [], [], [], []
            for e in [0] + list(epochs):
                s = random if e == 0 else scores(cells, method, e, *readout[:3])
                seed_means = [np.mean(list(f.values())) for f in s.values()]
                if seed_means:
                    xs.append(e)
                    means.append(np.mean(seed_means))
                    lows.append(min(seed_means))
                    highs.append(max(seed_means))
            if xs:
                ax.plot(xs, means, marker='o', label=method)
                ax.fill_between(xs, lows, highs, alpha=0.15)
        if floor and readout[0] == 'linear':
            ax.axhline(
                np.mean([v for f in floor.values() for v in f.values()]),
                color='grey',
                ls=':',
                label='floor')
        ax.set_xlabel('pretraining epoch (0: random init)')
        ax.set_title(readout[3], fontsize=10)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def earlier_cells(matrix: Config) -> List[dict]:
    """The probe and purity cells of ``matrix.compare_with.methods`` in the earlier record
    ``matrix.compare_with.cells`` (none without ``compare_with``)."""
    spec = matrix.get('compare_with')
    if not spec:
        return []
    with open(spec.cells) as f:
        earlier = json.load(f)
    return [
        c for c in earlier if c.get('method') in (*spec.methods, 'floor') or c['kind'] == 'digest'
    ]


def write_tables(cells: List[dict], matrix: Config, out: str, draws: int = 10000) -> str:
    """``results.md`` from the record: summary, paired differences, curve, purity, digests.

    With ``matrix.compare_with``, the earlier record's cells of the methods it names join the
    tables (not this record's ``cells.json``), and a section says whether this record's init,
    warm-up and first batches reproduced that record's.
    """
    epoch = max(matrix.probe_epochs)
    earlier = earlier_cells(matrix)
    own = cells
    if earlier:
        mine = {(c['method'], c['pretrain_seed']) for c in own if c['kind'] == 'probe'}
        cells = own + [
            c for c in earlier
            if c['kind'] in ('probe', 'purity') and (c['method'], c['pretrain_seed']) not in mine
        ]
    seeds = sorted({c['pretrain_seed'] for c in cells if c['kind'] == 'probe'})
    rows = comparison_rows(cells, epoch, draws,
                           [tuple(c) for c in matrix.get('comparisons', COMPARISONS)])
    text = [
        f'# {osp.basename(out)}: generated from cells.json (do not edit)\n',
        f'Pretraining seeds in the record: {seeds}. Stage-4 linear probe (100 % and 10 % of '
        'each fold\'s training images) and k-NN probe, 7 leave-one-tile-out folds.\n',
        f'## Epoch {epoch}: mean ± std over folds and seeds\n',
        summary_table(cells, epoch), f'\n## Paired differences at epoch {epoch}\n',
        'Per seed: the mean over folds. Bootstrap: resampling seeds, then folds within each '
        'drawn seed (10,000 draws); with few seeds its seed level cannot be wider than the range '
        'of the seed means. t: the Student-t interval over the seed means (seeds − 1 degrees '
        'of freedom), the one the verdict reads: **established** only when it excludes 0 with '
        f'at least {MIN_SEEDS} seeds; with fewer seeds no verdict is given. Dominant level: the '
        'larger of the between-seed variance of seed means and the within-seed fold variance / '
        'folds.\n',
        comparison_table(rows, seeds), '\n## Seeds needed\n',
        'Pretraining seeds for which a t-test over seed means at 95 % finds a true difference '
        'of the given size with 80 % power, if the seed means spread as measured here '
        '(noncentral t; the sd has itself only seeds − 1 degrees of freedom).\n',
        seeds_needed_table(rows), '\n## Curves (mean over seeds and folds)\n',
        curve_table(cells, list(matrix.probe_epochs)),
        '\n![read-outs against epochs](curves.png)\n', '\n## Sampling purity (held-out tile 7)\n',
        purity_table(cells), '\n## A real mmseg head (one fine-tuning per arm)\n',
        'One pretraining seed, one fold, one fine-tuning seed: no interval; a difference here '
        'is to be read against the probes\' seed-to-seed spread, not on its own.\n',
        segmentation_table(cells), '\n## Paired batches\n',
        digest_check(own, matrix), '\n## Wall times (this machine)\n',
        timing_table(own)
    ]
    if matrix.get('screen'):
        text[-4:-4] = [
            '\n## Guides screened by purity (held-out tile 7)\n',
            'Each guide\'s boxes against random boxes of the same size in the same views '
            f"(95 % bootstrap over views). Gate, at `{matrix.screen.gate_source}`: the "
            'interval lies above 0 at two of three seeds.\n',
            screen_table(own, matrix.screen.gate_source)
        ]
    if earlier:
        arms = [a for a, spec in matrix.arms.items() if spec.from_ == 'warmup']
        arms += [matrix.screen.arm] if matrix.get('screen') else []
        text[-4:-4] = [
            '\n## Reproduced from the earlier record\n',
            f'Earlier record: `{matrix.compare_with.cells}` (methods '
            f"{', '.join(matrix.compare_with.methods)}). Its arms are this record's comparison "
            'only where the init, the warm-up and the first batches are the same.\n',
            reproduction_lines(own, earlier, f'warmup_ep{matrix.warmup.epochs}', arms)
        ]
    text = '\n'.join(text)
    with open(osp.join(out, 'results.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'comparisons.json'), 'w') as f:
        json.dump(rows, f, indent=1)
    plot_curves(cells, list(matrix.probe_epochs), osp.join(out, 'curves.png'))
    return text
