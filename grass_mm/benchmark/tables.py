"""The tables and the figure of a paired benchmark's record, each generated from its cells
(:mod:`grass_mm.benchmark.results`)."""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from grass_mm.evaluation.probe.tables import mean_std
from .stats import (hierarchical_bootstrap, seed_means, seeds_needed, t_interval, variance_split,
                    verdict)

READOUTS = (('linear', 1.0, 'mIoU', 'linear mIoU'), ('linear', 0.1, 'mIoU', 'linear mIoU, 10 %'),
            ('knn', 1.0, 'mAcc', 'k-NN mAcc'))


def seed_fold_scores(cells: List[dict], method: str, epoch: Optional[int], readout: str,
                     fraction: float, metric: str) -> Dict[int, Dict[int, float]]:
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


def method_order(cells: List[dict], kind: str = 'probe') -> List[str]:
    """The methods of the ``kind`` cells, in the tables' order (the rest after, by name)."""
    order = [
        'random', 'simclr', 'simclr-rscolor', 'grass', 'grass-random-boxes', 'oracle-place',
        'oracle-single', 'oracle-single-random', 'mocov2', 'gs-mocov2', 'byol', 'gs-byol',
        'densecl', 'gs-densecl'
    ]
    found = {c['method'] for c in cells if c['kind'] == kind} - {'floor'}
    return [m for m in order if m in found] + sorted(found - set(order))


def summary_table(cells: List[dict], epoch: int) -> str:
    """Means ± std over folds and seeds of every method at ``epoch``, with the floor."""
    rows = [
        '| method | seeds | ' + ' | '.join(r[3] for r in READOUTS) + ' |',
        '|---|---|' + '---|' * len(READOUTS)
    ]
    floor = seed_fold_scores(cells, 'floor', None, 'linear', 1.0, 'mIoU')
    if floor:
        vals = [v for s in floor.values() for v in s.values()]
        rows.append(
            f'| floor (majority class) | {len(floor)} | {mean_std(vals)} | {mean_std(vals)} | – |')
    for method in method_order(cells):
        e = 0 if method == 'random' else epoch
        cols, seeds = [], set()
        for readout, fraction, metric, _ in READOUTS:
            s = seed_fold_scores(cells, method, e, readout, fraction, metric)
            seeds |= set(s)
            vals = [v for f in s.values() for v in f.values()]
            cols.append(mean_std(vals) if vals else '–')
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
            sa, sb = (
                seed_fold_scores(cells, m, 0 if m == 'random' else epoch, readout, fraction, metric)
                for m in (a, b))
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
    random = {r: seed_fold_scores(cells, 'random', 0, r[0], r[1], r[2]) for r in READOUTS}
    for method in method_order(cells):
        if method == 'random':
            continue
        for readout in READOUTS:
            cols = []
            for e in [0] + list(epochs):
                s = random[readout] if e == 0 else seed_fold_scores(cells, method, e, *readout[:3])
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


def plot_curves(cells: List[dict], epochs: List[int], path: str) -> None:
    """Each method's read-outs against pretraining epochs (mean over seeds and folds, the seeds'
    spread as a band), the floor and random init at epoch 0."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(READOUTS), figsize=(4.2 * len(READOUTS), 3.4))
    floor = seed_fold_scores(cells, 'floor', None, 'linear', 1.0, 'mIoU')
    for ax, readout in zip(axes, READOUTS):
        random = seed_fold_scores(cells, 'random', 0, *readout[:3])
        for method in method_order(cells):
            if method == 'random':
                continue
            xs, means, lows, highs = [], [], [], []
            for e in [0] + list(epochs):
                s = random if e == 0 else seed_fold_scores(cells, method, e, *readout[:3])
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
