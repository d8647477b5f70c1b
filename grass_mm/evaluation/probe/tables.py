"""Markdown of the dense probes' results: the fold table of :func:`~.folds.probe_folds` and the
held-out table of :func:`~.folds.probe_held_out`.
Kept apart from the probes so a record or a tool can print a saved result without torch models.
"""
import numpy as np


def held_out_table(result: dict) -> str:
    """Markdown of :func:`probe_held_out`'s result: the floor, then each backbone."""
    rows = [
        '| backbone | linear mIoU | linear aAcc | k-NN mAcc |', '|---|---|---|---|',
        f"| floor (majority class) | {result['floor']['mIoU']:.2f} | "
        f"{result['floor']['aAcc']:.2f} | – |"
    ]
    for b in result['backbones']:
        rows.append(f"| {b['name']} | {b['linear_mIoU']:.2f} | {b['linear_aAcc']:.2f} | "
                    f"{b['knn_mAcc']:.2f} |")
    return '\n'.join(rows) + '\n'


def mean_std(values) -> str:
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1) if len(values) > 1 else 0:.2f}'


def fold_table(result: dict) -> str:
    """Markdown: floor, each backbone, paired differences; † marks runs not above the floor."""
    folds = result['settings']['folds']
    head = ('| backbone | read-out | ' + ' | '.join(f'tile {f}' for f in folds) +
            ' | mean ± std | pooled |\n|---|---|' + '---|' * (len(folds) + 2) + '\n')
    rows = []
    floor = result['floor']
    for metric in ('mIoU', 'aAcc'):
        vals = [floor[str(f)][metric] for f in folds]
        rows.append(f'| floor (majority class) | {metric} | ' +
                    ' | '.join(f'{v:.2f}' for v in vals) + f' | {mean_std(vals)} | – |')
    for b in result['backbones']:
        for metric in ('mIoU', 'aAcc'):
            vals, cells = [], []
            for f in folds:
                s = b['folds'][str(f)]['linear']
                below = (s['mIoU'] <= floor[str(f)]['mIoU'] or s['aAcc'] <= floor[str(f)]['aAcc'])
                vals.append(s[metric])
                cells.append(f"{s[metric]:.2f}{'†' if below else ''}")
            rows.append(f"| {b['name']} | linear {metric} | " + ' | '.join(cells) +
                        f" | {mean_std(vals)} | {b['pooled']['linear'][metric]:.2f} |")
        vals = [b['folds'][str(f)]['knn']['mAcc'] for f in folds]
        rows.append(f"| {b['name']} | k-NN mAcc | " + ' | '.join(f'{v:.2f}' for v in vals) +
                    f" | {mean_std(vals)} | {b['pooled']['knn']['mAcc']:.2f} |")
    first = result['backbones'][0]
    for b in result['backbones'][1:]:
        for key, metric in (('linear', 'mIoU'), ('knn', 'mAcc')):
            diff = [
                b['folds'][str(f)][key][metric] - first['folds'][str(f)][key][metric] for f in folds
            ]
            pooled = b['pooled'][key][metric] - first['pooled'][key][metric]
            rows.append(f"| {b['name']} − {first['name']} | {key} {metric} | " +
                        ' | '.join(f'{v:+.2f}'
                                   for v in diff) + f' | {mean_std(diff)} | {pooled:+.2f} |')
    return head + '\n'.join(rows) + '\n'
