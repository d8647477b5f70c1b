"""A benchmark matrix's record (``cells.json``) and its MMSeg-style tables
(``tools/benchmarks/collect_results.py``)."""
import glob
import itertools
import json
import os
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import matplotlib
import numpy as np
from mmengine.config import Config

from grass_mm.utils import weights_sha256
from .matrix import repo_root

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

TARGET_NOTE = (
    'Each baseline is paired with {method} by fine-tuning seed, on the seeds both '
    'have finished (counted in brackets where fewer than {method}\'s); differences are '
    'mean ± sample std of the per-seed differences; the closest baseline is the one '
    '{method} leads least. Target (the matrix\'s `comparison`): {method} ≥ {reference} + '
    '{margin} mIoU and ≥ every baseline, means over ≥ {min_seeds} seeds. Seeds to '
    'settle: (2 · std of {method} − {reference} / {margin})², the seeds at which a '
    '{margin}-point mean difference would be two standard errors.')
ABLATION_NOTE = ('Each variant changes one setting of the {method} row and is paired with it by '
                 'fine-tuning seed: mean ± sample std of the per-seed differences.')
CELLS = 'cells.json'  # the published record of every cell; collections add to it
HEADS = dict(deeplabv3plus='DeepLabV3+', fcn='FCN', upernet='UPerNet')
PROTOCOLS = dict(full='full fine-tuning', frozen='frozen backbone')


def load_results(work_dir: str) -> List[dict]:
    """Every ``result.json`` under ``work_dir`` (none if it is gone), with its folder."""
    results = []
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', '*', '**', 'result.json'), recursive=True)):
        with open(path) as f:
            results.append(dict(json.load(f), dir=osp.dirname(path)))
    return results


def read_scalars(run_dir: str) -> List[dict]:
    """Every record of a run's ``vis_data/scalars.json``, across resumes, in order.

    A later run supersedes the records from its first logged iteration on: a resume redoes
    what its checkpoint did not keep, and a run started over (nothing to resume) replaces an
    interrupted one entirely.
    """
    records = []
    # Each (re)start adds a timestamped folder; their names sort chronologically.
    for path in sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            run = [json.loads(line) for line in f if line.strip()]
        start = next((r['iter'] for r in run if 'iter' in r), None)
        if start is not None:
            records = list(itertools.takewhile(lambda r: r.get('iter', -1) < start, records))
        records += run
    return records


def cell_key(r: dict) -> tuple:
    """A cell's identity; a pretraining's includes its weights hash."""
    keys = ('kind', 'method', 'head', 'protocol', 'fraction', 'seed', 'backbone_sha256')
    return tuple(r.get(k) for k in keys if k != 'backbone_sha256' or r['kind'] == 'pretrain')


def run_date(run_dir: str) -> Optional[str]:
    """The day a run started, from mmengine's first timestamped folder (YYYYMMDD_HHMMSS)."""
    stamps = sorted(d for d in os.listdir(run_dir) if re.fullmatch(r'\d{8}_\d{6}', d))
    return f'{stamps[0][:4]}-{stamps[0][4:6]}-{stamps[0][6:8]}' if stamps else None


def describe(pretrained: Optional[dict]) -> str:
    """A row's pretraining in words: its day and weights hash."""
    if pretrained is None:
        return 'no pretraining'
    sha = f"`{pretrained['sha256'][:8]}`" if pretrained['sha256'] else 'weights not hashed'
    return f"{pretrained.get('date') or 'day unknown'} ({sha})"


def pretraining(cell: dict) -> Optional[str]:
    """The pretraining a fine-tuning cell started from: its weights hash, else its day."""
    return cell['pretrained'] and (cell['pretrained']['sha256'] or cell['pretrained']['date'])


def record(result: dict, dates: Dict[str, str]) -> dict:
    """The published record of a work-dir result: what the tables need from it and its config,
    which pretraining it started from (``dates``: day of each known pretraining by weights
    hash), and its log's path under the output folder; no local paths."""
    keep = ('kind', 'method', 'head', 'protocol', 'fraction', 'seed', 'config', 'cfg_options',
            'metrics', 'wall_s', 'max_rss_gb', 'cpu')
    rec = {k: result[k] for k in keep if k in result}
    if result['kind'] == 'pretrain':
        # Results of run_matrix versions that did not hash the backbone yet: hash the file.
        sha = result.get('backbone_sha256') or weights_sha256(result['backbone'])
        return dict(
            rec,
            log=osp.join('logs', result['method'], f'pretrain_{sha[:8]}.log.json'),
            date=run_date(result['dir']),
            backbone_sha256=sha)
    # run_matrix names a fine-tuning cell's folder after the cell; its log takes that name.
    rec['log'] = osp.join('logs', result['method'], osp.basename(result['dir']) + '.log.json')
    cfg = Config.fromfile(osp.join(result['dir'], 'run_config.py'))
    init = cfg.model.backbone.init_cfg
    sha = result.get('backbone_sha256') or (weights_sha256(init.checkpoint) if init else None)
    crop = cfg.get('crop_size') or cfg.model.data_preprocessor.size
    return dict(
        rec,
        backbone=f'R-{cfg.model.backbone.depth}-D8',
        crop=f'{crop[0]}x{crop[1]}',
        schedule=str(cfg.train_cfg.max_iters),
        pretrained=sha and dict(sha256=sha, date=dates.get(sha)))


def merge(out: str, fresh: List[dict]) -> List[dict]:
    """The published cells of ``out/cells.json`` with the work dir's added or put in their
    place; written back, with the new cells' logs, once every row is checked to come from one
    pretraining."""
    path = osp.join(out, CELLS)
    cells = {}
    if osp.isfile(path):
        with open(path) as f:
            cells = {cell_key(r): r for r in json.load(f)}
    logs = {}  # each fresh result's log, under its published twin's name where it has one
    for result in (r for r in fresh if r['kind'] == 'pretrain'):
        rec = record(result, {})
        cells[cell_key(rec)] = rec = dict(rec, log=cells.get(cell_key(rec), rec)['log'])
        logs[rec['log']] = result['dir']
    dates = {r['backbone_sha256']: r['date'] for r in cells.values() if r['kind'] == 'pretrain'}
    for result in (r for r in fresh if r['kind'] != 'pretrain'):
        cells[cell_key(result)] = rec = record(result, dates)
        logs[rec['log']] = result['dir']
    records = sorted(cells.values(), key=lambda r: json.dumps(cell_key(r)))
    rows = defaultdict(lambda: defaultdict(list))
    for r in (r for r in records if r['kind'] != 'pretrain'):
        rows[cell_key(r)[1:5]][pretraining(r)].append(r)
    for (method, head, protocol, fraction), sources in rows.items():
        if len(sources) > 1:
            found = '; '.join(f"seeds {[r['seed'] for r in runs]}: "
                              f"{describe(runs[0]['pretrained'])}" for runs in sources.values())
            raise SystemExit(f'{path}: {method}, {head} {protocol} {fraction * 100:g} %: the seeds '
                             f'come from different pretrainings ({found}); a row must come from '
                             'one: rerun its other seeds on the same backbone, or remove the '
                             'stale cells from the file')
    for log, run_dir in logs.items():
        os.makedirs(osp.dirname(osp.join(out, log)), exist_ok=True)
        with open(osp.join(out, log), 'w') as f:
            f.writelines(json.dumps(r) + '\n' for r in read_scalars(run_dir))
    with open(path + '.tmp', 'w') as f:
        json.dump(records, f, indent=1)
    os.replace(path + '.tmp', path)  # the record is always complete
    return records


def repo_link(path: str) -> str:
    """A link that works from any Markdown file of the repository (GitHub: root-relative)."""
    rel = osp.relpath(osp.abspath(path), repo_root())
    return path if rel.startswith('..') else '/' + rel


def group(results: List[dict]) -> Dict[tuple, Dict[str, List[dict]]]:
    """{(head, protocol, fraction): {method: [one result per seed]}}."""
    groups: Dict[tuple, Dict[str, List[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        groups[(r['head'], r['protocol'], r['fraction'])][r['method']].append(r)
    return groups


def mean_std(runs: List[dict], key: str = 'mIoU') -> Tuple[float, float, int]:
    values = np.array([r['metrics'][key] for r in runs], dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else float('nan')
    return float(values.mean()), std, len(values)


def fmt(runs: List[dict], key: str = 'mIoU') -> str:
    mean, std, n = mean_std(runs, key)
    return f'{mean:.2f}' if n == 1 else f'{mean:.2f} ± {std:.2f}'


def cell_meta(runs: List[dict]) -> dict:
    """Backbone, crop size, schedule, config and classes of a row (the same for its seeds)."""
    r = runs[0]
    return dict(
        backbone=r['backbone'],
        crop=r['crop'],
        schedule=r['schedule'],
        config=r['config'],
        classes=[k[4:] for k in r['metrics'] if k.startswith('IoU.')])


def pretrained_note(by_method: Dict[str, List[dict]], methods: List[str], names: Dict[str,
                                                                                      str]) -> str:
    """Which pretraining each row's backbone came from, grouped by day."""
    days = defaultdict(list)
    for m in methods:
        source = by_method[m][0]['pretrained']
        if source is not None:
            day = source.get('date') or 'day unknown'
            if source['sha256']:
                days[day].append(f"{names.get(m, m)} `{source['sha256'][:8]}`")
            else:
                days[f'{day} (weights not hashed)'].append(names.get(m, m))
    # Method names may hold commas ("GraSS, warm-up 0 %").
    return ('Pretrained backbones: ' + '; '.join(f"{d}: {' · '.join(v)}"
                                                 for d, v in days.items()) + '.') if days else ''


def order(methods, matrix: Config) -> List[str]:
    known = list(matrix.methods) + list(matrix.get('ablations', {}))
    return sorted(methods, key=lambda m: known.index(m) if m in known else len(known))


def mean_pm(values: np.ndarray, of: int, sign: str = '+') -> str:
    """'mean ± sample std', with the seed count where fewer than ``of`` seeds are paired."""
    text = f'{values.mean():{sign}.2f}'
    if len(values) > 1:
        text += f' ± {values.std(ddof=1):.2f}'
    return text if len(values) == of else f'{text} (seeds: {len(values)})'


def paired(by_method: Dict[str, List[dict]], a: str, b: str) -> np.ndarray:
    """Per-seed mIoU differences a − b on the fine-tuning seeds both have finished."""
    ma, mb = ({r['seed']: r['metrics']['mIoU'] for r in by_method.get(m, [])} for m in (a, b))
    return np.array([ma[s] - mb[s] for s in sorted(set(ma) & set(mb))])


def comparison_of(matrix: Config) -> Optional[dict]:
    """The matrix's ``comparison`` (method, reference, margin, min_seeds), or None."""
    spec = matrix.get('comparison')
    if spec is None:
        return None
    missing = {'method', 'reference', 'margin', 'min_seeds'} - set(spec)
    if missing:
        raise KeyError(f'comparison: missing {sorted(missing)} (method, reference, margin, '
                       'min_seeds)')
    for key in ('method', 'reference'):
        if spec[key] not in matrix.methods:
            raise KeyError(f'comparison.{key}: {spec[key]!r} is not one of methods '
                           f'{list(matrix.methods)}')
    return dict(spec)


def compare(by_method: Dict[str, List[dict]], baselines: List[str], names: Dict[str, str],
            spec: dict) -> List[str]:
    """``spec['method']`` against the baselines of one cell, each paired by seed, with the verdict.

    Each baseline is compared on the seeds it and the method have both finished, so a baseline
    that has run fewer seeds neither hides the others' evidence nor shifts their comparison. The
    target (``method`` ≥ ``reference`` + ``margin`` and ≥ every other baseline) is not met as soon
    as one comparison over at least ``min_seeds`` seeds fails it, met when every baseline has
    that many seeds and none fails, and open otherwise.

    Returns:
        The row's cells: seeds, the method's mIoU, method − reference, closest baseline, method −
        it, target, seeds to settle; an empty list where the method shares no seed with a
        baseline.
    """
    method, ref, margin, min_seeds = (
        spec[k] for k in ('method', 'reference', 'margin', 'min_seeds'))
    ours = {r['seed']: r['metrics']['mIoU'] for r in by_method.get(method, [])}
    diffs, means = {}, {}
    for m in baselines:
        diff = paired(by_method, method, m)
        if len(diff):
            diffs[m] = diff
            means[m] = np.mean([r['metrics']['mIoU'] for r in by_method[m] if r['seed'] in ours])
    if not diffs:
        return []

    def pm(values: np.ndarray, sign: str = '+') -> str:
        return mean_pm(values, len(ours), sign)

    closest = min(diffs, key=lambda m: diffs[m].mean())  # the baseline the method leads least
    failed = [
        f'< {names.get(m, m)} + {margin}' if m == ref else f'< {names.get(m, m)}'
        for m, d in diffs.items() if len(d) >= min_seeds and d.mean() < (margin if m == ref else 0)
    ]
    short = [
        f'{names.get(m, m)} {len(diffs.get(m, []))} of {min_seeds} seeds' for m in baselines
        if len(diffs.get(m, [])) < min_seeds
    ]
    verdict = (f"not met ({'; '.join(failed)})"
               if failed else f"open: {', '.join(short)}" if short else 'met')
    # Seeds at which a `margin` mean difference would be two standard errors, given the spread
    # of the per-seed differences seen so far: what budget would settle the target.
    settle = (
        str(max(2, int(np.ceil(
            (2 * diffs[ref].std(ddof=1) /
             margin)**2)))) if len(diffs.get(ref, [])) > 1 and margin > 0 else 'n/a')
    return [
        ','.join(map(str, sorted(ours))),
        pm(np.array(list(ours.values())), sign=''),
        pm(diffs[ref]) if ref in diffs else 'n/a',
        f'{names.get(closest, closest)} ({means[closest]:.2f})',
        pm(diffs[closest]), verdict, settle
    ]


def per_seed(matrix: Config, finetune: List[dict]) -> str:
    """Each cell's mIoU and per-class IoU at every seed, and the compared method − each method per
    seed with their mean ± sample std: the figures a reading quotes beside the tables."""
    spec = comparison_of(matrix)
    ours = spec['method'] if spec else None
    lines = []
    for (head, protocol, fraction), by_method in sorted(group(finetune).items()):
        lines.append(f'{head} {protocol} {fraction:.0%}')
        for m in order(by_method, matrix):
            for r in sorted(by_method[m], key=lambda r: r['seed']):
                ious = ' '.join(f'{k[4:]} {v:.2f}' for k, v in r['metrics'].items()
                                if k.startswith('IoU.'))
                lines.append(f"  {m} seed {r['seed']}: mIoU {r['metrics']['mIoU']:.2f} ({ious})")
            diff = paired(by_method, ours, m) if ours and m != ours else []
            if len(diff):
                lines.append(f"  {ours} - {m}: {' '.join(f'{d:+.2f}' for d in diff)}"
                             f" ({mean_pm(diff, len(diff))})")
    return '\n'.join(lines)


def tables(matrix: Config, finetune: List[dict], out: str) -> str:
    names = matrix.get('names', {})
    lines = []
    groups = group(finetune)
    summary, ablation = [], []
    heads = list(matrix.downstream)
    spec = comparison_of(matrix)
    ours = spec['method'] if spec else None

    def cell_order(k):  # (head, protocol, fraction): matrix order, then the larger fraction
        return heads.index(k[0]), list(PROTOCOLS).index(k[1]), -k[2]

    for key in sorted(groups, key=cell_order):
        head, protocol, fraction = key
        by_method = groups[key]
        methods = order(by_method, matrix)
        meta = cell_meta(next(iter(by_method.values())))
        lines += [
            f'### {HEADS.get(head, head)}, {PROTOCOLS.get(protocol, protocol)}, '
            f'{fraction * 100:g} % of the labels', '',
            '| Method | Backbone | Pretrain | Crop Size | Lr schd | Mem (GB) | mIoU | '
            'seeds | config | log |', '|' + ' --- |' * 10
        ]
        floor = floor_of(by_method)
        if floor:
            lines.append(f"| {HEADS.get(head, head)} | – | floor (majority class) | "
                         f"{meta['crop']} | – | – | {floor['mIoU']:.2f} (aAcc "
                         f"{floor['aAcc']:.2f}) | – | – | – |")
        for m in methods:
            runs = sorted(by_method[m], key=lambda r: r['seed'])
            logs = ' '.join(f"[{r['seed']}]({repo_link(osp.join(out, r['log']))})" for r in runs)
            below = floor and any(r['metrics'].get('aAcc', 100) <= floor['aAcc']
                                  or r['metrics']['mIoU'] <= floor['mIoU'] for r in runs)
            lines.append(
                f"| {HEADS.get(head, head)} | {meta['backbone']} | {names.get(m, m)} | "
                f"{meta['crop']} | {meta['schedule']} | "
                f"{max(r['max_rss_gb'] for r in runs):.2f} | {fmt(runs)}{'†' if below else ''} | "
                f"{','.join(str(r['seed']) for r in runs)} | "
                f"[config]({repo_link(osp.join(repo_root(), meta['config']))}) | {logs} |")
        lines += [
            '', 'Per-class IoU (mean over seeds):', '',
            '| Pretrain | ' + ' | '.join(meta['classes']) + ' |',
            '|' + ' --- |' * (len(meta['classes']) + 1)
        ]
        for m in methods:
            lines.append(f'| {names.get(m, m)} | ' + ' | '.join(
                f"{np.nanmean([r['metrics'][f'IoU.{c}'] for r in by_method[m]]):.2f}"
                for c in meta['classes']) + ' |')
        if floor:
            lines += [
                '', '† a seed at or below the floor (aAcc or mIoU): predicting the '
                "split's majority class everywhere scores as well."
            ]
        note = pretrained_note(by_method, methods, names)
        lines += ['', note, ''] if note else ['']
        if ours in by_method:
            row = compare(by_method, [m for m in matrix.methods if m != ours], names, spec)
            if row:
                summary.append(f'| {HEADS.get(head, head)} | {protocol} | {fraction * 100:g} % | ' +
                               ' | '.join(row) + ' |')
        for m in [m for m in methods if ours and m in matrix.get('ablations', {})]:
            diff = paired(by_method, m, ours)
            if len(diff):
                runs = sorted(by_method[m], key=lambda r: r['seed'])
                ablation.append(
                    f'| {names.get(m, m)} | {HEADS.get(head, head)} | {protocol} | '
                    f"{fraction * 100:g} % | {','.join(str(r['seed']) for r in runs)} | "
                    f'{fmt(runs)} | {mean_pm(diff, len(runs))} |')
    if summary:
        us, ref = names.get(ours, ours), names.get(spec['reference'], spec['reference'])
        note = TARGET_NOTE.format(
            method=us, reference=ref, margin=spec['margin'], min_seeds=spec['min_seeds'])
        lines = [
            f'### {us} against the baselines', '',
            f'| Head | Protocol | Labels | seeds | {us} mIoU | {us} − {ref} | closest baseline | '
            f'{us} − closest | target | seeds to settle |', '|' + ' --- |' * 10
        ] + summary + ['', note, ''] + lines
    if ablation:
        us = names.get(ours, ours)
        lines += [
            f'### {us} ablations', '',
            f'| Variant | Head | Protocol | Labels | seeds | mIoU | − {us} |', '|' + ' --- |' * 7
        ] + ablation + ['', ABLATION_NOTE.format(method=us), '']
    return '\n'.join(lines)


def curves(groups: Dict[tuple, Dict[str, List[dict]]], head: str, protocol: str,
           method: str) -> List[List[Tuple[float, float, float]]]:
    """A method's (fraction, mean, std) points in one panel, one line per pretraining: a line
    across two pretrainings would show their difference as the effect of the label fraction."""
    lines = defaultdict(list)
    for (h, p, f), by_method in sorted(groups.items(), key=lambda kv: kv[0]):
        if (h, p) == (head, protocol) and method in by_method:
            runs = by_method[method]
            lines[pretraining(runs[0])].append((f, *mean_std(runs)[:2]))
    return list(lines.values())


def plot_fractions(matrix: Config, finetune: List[dict], path: str) -> None:
    names = matrix.get('names', {})
    panels = sorted({(r['head'], r['protocol']) for r in finetune})
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.6), squeeze=False)
    groups = group(finetune)
    colours = {
        m: f'C{i % 10}'
        for i, m in enumerate(list(matrix.methods) + list(matrix.get('ablations', {})))
    }
    for ax, (head, protocol) in zip(axes[0], panels):
        methods = order(
            {m
             for (h, p, _), v in groups.items() if (h, p) == (head, protocol) for m in v}, matrix)
        split = False
        for m in methods:
            lines = curves(groups, head, protocol, m)
            split |= len(lines) > 1
            for i, points in enumerate(lines):
                x, y, e = zip(*points)
                # One colour per method in every panel; each panel has its own legend, since
                # the panels need not hold the same methods (the ablations run in one cell only).
                ax.errorbar([100 * v for v in x],
                            y,
                            yerr=np.nan_to_num(e),
                            marker='o',
                            capsize=3,
                            label=None if i else names.get(m, m),
                            color=colours.get(m))
        ax.set_xscale('log')
        ticks = sorted(100 * f for f in matrix.fractions)
        ax.set_xticks(ticks, [f'{t:g}' for t in ticks])
        ax.minorticks_off()
        ax.set_xlim(ticks[0] / 1.5, ticks[-1] * 1.5)
        ax.legend(fontsize=7)
        ax.set_xlabel('labelled training images (%)' +
                      ('\n(points of different pretrainings are not joined)' if split else ''))
        ax.set_ylabel('val mIoU')
        ax.set_title(f'{HEADS.get(head, head)}, {PROTOCOLS.get(protocol, protocol)}')
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def floor_of(by_method: dict) -> Optional[dict]:
    """The trivial floor of a cell (``floor.*`` of ``PerClassIoUMetric``; v1 cells lack it)."""
    for runs in by_method.values():
        for r in runs:
            if 'floor.mIoU' in r['metrics']:
                return dict(mIoU=r['metrics']['floor.mIoU'], aAcc=r['metrics']['floor.aAcc'])
    return None
