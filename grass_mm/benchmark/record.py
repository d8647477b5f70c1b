"""The record of a paired benchmark (``cells.json``), read from its runs (``results.md`` is
written from it by :mod:`.results`).

One cell per probe result: ``kind`` (``'probe'``), ``method``, ``pretrain_seed``, ``epoch``,
``fold``, ``fraction``, ``readout`` (``'linear'`` / ``'knn'``) and ``metrics``; the floor of each
fold is a cell with ``method='floor'``. mmseg fine-tunings are ``kind='segmentation'`` cells
(``name``: the config). Purity results are ``kind='purity'`` cells, wall times
``kind='timing'``, training steps' median times ``kind='step_time'`` (:mod:`.costs`) and the
batch digests ``kind='digest'``. A collection replaces the cells it
measured again and keeps the others, so a session whose work dir is gone still publishes what
earlier sessions measured. A held-out probe (one validation split) is fold ``'val'``.
"""
import glob
import json
import os
import os.path as osp
import re
from typing import List, Tuple

from mmengine.config import Config

from .costs import step_time_cells
from .matrix import arm_warmup, warmups
from .reproduce import checkpoint_cells
from .screen import screen_cells

KEY_FIELDS = ('kind', 'method', 'pretrain_seed', 'epoch', 'fold', 'fraction', 'readout', 'name',
              'finetune_seed')


def method_name(arm: str) -> str:
    """Record names use hyphens (``grass-random-boxes``); the run's folders use the arm key."""
    return arm.replace('_', '-')


def _probe_source(name: str, matrix: Config) -> List[Tuple[str, int]]:
    """(method, epoch) pairs one probe folder stands for (the warm-up for every continuation)."""
    if name == 'random':
        return [('random', 0)]
    arm, _, epoch = name.rpartition('_ep')
    epoch = int(epoch)
    if arm in warmups(matrix):
        return [(method_name(a), epoch) for a, s in matrix.arms.items()
                if s.from_ == 'warmup' and arm_warmup(matrix, a) == arm]
    return [(method_name(arm), epoch)]


def _probe_folds(probe: dict) -> Tuple[dict, dict]:
    """(fold -> floor, fold -> result) of a probe.json: leave-one-tile-out or held-out."""
    backbone = probe['backbones'][0]
    if 'folds' in backbone:
        return probe['floor'], backbone['folds']
    return dict(val=probe['floor']), dict(
        val=dict(
            linear=dict(mIoU=backbone['linear_mIoU'], aAcc=backbone['linear_aAcc']),
            knn=dict(mAcc=backbone['knn_mAcc'])))


def _fold(fold: str):
    return int(fold) if fold.isdigit() else fold


def seed_cells(matrix: Config, seed_dir: str, seed: int) -> List[dict]:
    """Every cell one seed's folder holds."""
    cells = []
    for path in sorted(glob.glob(osp.join(seed_dir, 'probe', '*', 'probe.json'))):
        name = osp.basename(osp.dirname(path))
        with open(path) as f:
            probe = json.load(f)
        floors, folds = _probe_folds(probe)
        for fold, floor in floors.items():
            cells.append(
                dict(
                    kind='probe',
                    method='floor',
                    pretrain_seed=seed,
                    epoch=None,
                    fold=_fold(fold),
                    fraction=1.0,
                    readout='linear',
                    metrics=floor))
        for method, epoch in _probe_source(name, matrix):
            for fold, result in folds.items():
                base = dict(
                    kind='probe',
                    method=method,
                    pretrain_seed=seed,
                    epoch=epoch,
                    fold=_fold(fold),
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
        # <arm>_ep<epoch>_ft<fine-tuning seed>; records before fine-tuning seeds: <arm>_ep<epoch>
        arm, epoch = re.fullmatch(r'(.+)_ep(\d+)(?:_ft\d+)?',
                                  osp.basename(osp.dirname(path))).groups()
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
                finetune_seed=r['seed'],
                name=osp.splitext(osp.basename(r['config']))[0],
                metrics=dict({k: r[k]
                              for k in keep}, curve=r['curve'], seed=r['seed'])))
    timings = osp.join(seed_dir, 'timings.json')
    if osp.isfile(timings):
        with open(timings) as f:
            for name, t in json.load(f).items():
                cells.append(dict(kind='timing', name=name, pretrain_seed=seed, metrics=t))
    cells += step_time_cells(seed_dir, seed)
    cells += checkpoint_cells(seed_dir, seed, warmups(matrix))
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
