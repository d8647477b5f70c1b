"""Plot training curves from mmengine's ``vis_data/scalars.json`` (loss, lr, validation mIoU).

    python tools/analysis_tools/plot_scalars.py WORK_DIR/<timestamp>/vis_data/scalars.json
        [--keys loss lr mIoU] [--out curves.png] [--title TITLE]

One panel per key, against the iteration (``step``); a key logged only at validation (mIoU)
is drawn with markers. mmseg's ``analyze_logs.py`` does the same from the older ``.log.json``
files but needs seaborn, which this stack does not install; mmpretrain's (``mim run mmpretrain
analyze_logs plot_curve``) reads ``scalars.json`` but draws every key on one axis, where a loss
near 1 is flat beside an mIoU near 40.
"""
import argparse
import json
import os.path as osp
from collections import defaultdict

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt


def read_scalars(path: str) -> dict:
    """``{key: [(step, value), ...]}`` from an mmengine ``scalars.json`` (one JSON per line)."""
    series = defaultdict(list)
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f'{path}:{number}: not a JSON line ({e})')
            step = record.get('step', record.get('iter'))
            for key, value in record.items():
                if key not in ('step', 'iter', 'epoch') and isinstance(value, (int, float)):
                    series[key].append((step, value))
    return series


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('scalars', help="mmengine's vis_data/scalars.json")
    parser.add_argument('--keys', nargs='+', default=['loss', 'lr', 'mIoU'], help='keys to plot')
    parser.add_argument('--out', default='curves.png', help='output image')
    parser.add_argument('--title', help='figure title')
    args = parser.parse_args(argv)
    if not osp.isfile(args.scalars):
        parser.error(f'{args.scalars}: no such file')
    series = read_scalars(args.scalars)
    missing = [k for k in args.keys if k not in series]
    if missing:
        parser.error(f'{args.scalars}: no key {missing}; it has {sorted(series)}')
    fig, axes = plt.subplots(len(args.keys), 1, figsize=(6, 2.2 * len(args.keys)), sharex=True)
    for ax, key in zip([axes] if len(args.keys) == 1 else axes, args.keys):
        steps, values = zip(*series[key])
        ax.plot(steps, values, marker='o' if len(values) < 20 else None)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    ax.set_xlabel('iteration')
    if args.title:
        fig.suptitle(args.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f'{args.out}: ' + ', '.join(f'{k} ({len(series[k])} points)' for k in args.keys))


if __name__ == '__main__':
    main()
