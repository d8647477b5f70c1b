"""Probe scores against pretraining steps, and the gate of Benchmark v2 part 2.

    python tools/analysis_tools/probe_curve.py PROBE_JSON --steps 0 120 240 ... \
        [--gate 2.0] [--out curve.png]

``PROBE_JSON`` is ``linear_probe.py``'s ``probe.json`` for one pretraining's checkpoints, the first
backbone the random-init arm (step 0) and the others in step order. Prints the majority-class
floor and, per checkpoint, the linear-probe mIoU and k-NN mAcc (mean ± std over folds), the
paired difference to the first backbone and on how many folds it is positive, and whether the
gate passes: a mean paired linear difference of at least ``--gate`` points with every fold
positive. Draws both curves with the majority-class floor.
"""
import argparse
import json

import matplotlib
import numpy as np

matplotlib.use('Agg')
import matplotlib.pyplot as plt

from grass_mm.cli.checks import existing_file


def fold_scores(backbone: dict, readout: str, metric: str) -> np.ndarray:
    """One score per fold, in fold order."""
    folds = sorted(backbone['folds'], key=int)
    return np.array([backbone['folds'][f][readout][metric] for f in folds])


def gate_rows(probe: dict, steps: list, gate: float) -> list:
    """Per backbone: step, linear and k-NN means/stds, paired differences, folds up, gate."""
    base = probe['backbones'][0]
    rows = []
    for step, b in zip(steps, probe['backbones']):
        lin, knn = fold_scores(b, 'linear', 'mIoU'), fold_scores(b, 'knn', 'mAcc')
        diff = lin - fold_scores(base, 'linear', 'mIoU')
        knn_diff = knn - fold_scores(base, 'knn', 'mAcc')
        rows.append(
            dict(
                name=b['name'],
                step=step,
                linear=lin.mean(),
                linear_std=lin.std(ddof=1),
                knn=knn.mean(),
                knn_std=knn.std(ddof=1),
                diff=diff.mean(),
                diff_std=diff.std(ddof=1),
                up=int((diff > 0).sum()),
                knn_diff=knn_diff.mean(),
                folds=len(diff),
                passes=bool(b is not base and diff.mean() >= gate and (diff > 0).all())))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('probe', type=existing_file, help="linear_probe.py's probe.json")
    parser.add_argument(
        '--steps',
        nargs='+',
        type=int,
        required=True,
        help='pretraining step of each backbone, in the file\'s order')
    parser.add_argument(
        '--gate',
        type=float,
        default=2.0,
        help='mean paired linear mIoU over the first backbone to pass')
    parser.add_argument('--out', help='curve figure (png)')
    args = parser.parse_args()
    with open(args.probe) as f:
        probe = json.load(f)
    if len(args.steps) != len(probe['backbones']):
        raise SystemExit(f"--steps: {len(args.steps)} values for {len(probe['backbones'])} "
                         f"backbones in {args.probe} ({[b['name'] for b in probe['backbones']]})")
    rows = gate_rows(probe, args.steps, args.gate)
    print('| step | backbone | linear mIoU | − first (paired) | folds > 0 | k-NN mAcc | '
          '− first | gate |')
    print('|' + ' --- |' * 8)
    floor = np.array([probe['floor'][f]['mIoU'] for f in sorted(probe['floor'], key=int)])
    print(f'| – | floor (majority class) | {floor.mean():.2f} ± {floor.std(ddof=1):.2f} | – | – '
          '| – | – | – |')
    for r in rows:
        print(f"| {r['step']} | {r['name']} | {r['linear']:.2f} ± {r['linear_std']:.2f} | "
              f"{r['diff']:+.2f} ± {r['diff_std']:.2f} | {r['up']}/{r['folds']} | "
              f"{r['knn']:.2f} ± {r['knn_std']:.2f} | {r['knn_diff']:+.2f} | "
              f"{'pass' if r['passes'] else '–'} |")
    passing = [r for r in rows if r['passes']]
    print(f"gate (≥ {args.gate:+.1f} mIoU, every fold positive): " +
          (f"passes first at step {passing[0]['step']}" if passing else 'not passed'))
    if args.out:
        floor = floor.mean()
        fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
        x = [r['step'] for r in rows]
        for a, key, title in ((ax[0], 'linear', 'linear probe mIoU'), (ax[1], 'knn',
                                                                       'k-NN patch probe mAcc')):
            a.errorbar(
                x, [r[key] for r in rows],
                yerr=[r[f'{key}_std'] for r in rows],
                marker='o',
                capsize=3)
            a.set_xlabel('pretraining step')
            a.set_title(f'{title} (mean ± std over folds)')
        ax[0].axhline(floor, color='grey', ls='--', label=f'majority floor {floor:.1f}')
        ax[0].axhline(
            rows[0]['linear'] + args.gate,
            color='tab:red',
            ls=':',
            label=f'random init + {args.gate:g}')
        ax[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.out, dpi=110)
        print(f'curve -> {args.out}')


if __name__ == '__main__':
    main()
