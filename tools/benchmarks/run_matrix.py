"""Run a downstream benchmark matrix: pretrain each method once, then fine-tune mmseg heads on it.

    python tools/benchmarks/run_matrix.py configs/benchmark_matrix/dubai_aerial_cpu.py
        [--work-dir DIR] [--methods grass simclr] [--heads deeplabv3plus] [--protocols full]
        [--fractions 1.0] [--seeds 0] [--gpus 4] [--dry-run]

A matrix file (see ``configs/benchmark_matrix/``) names the pretraining config of every method,
the ablations, the downstream configs per head and protocol, the label fractions and the seeds.
Every pretraining and every fine-tuning cell runs ``tools/train.py`` (with ``--gpus N`` > 1, or a
matrix's ``gpus``, an int or ``dict(pretrain=P, finetune=F)``: ``tools/dist_train.sh`` over
N processes) in its own work dir on a
config dumped there (``run_config.py``: the exact settings of the cell). A cell that finished
holds ``result.json`` and is skipped on the next run; an interrupted one resumes from its last
checkpoint. A pretraining exports ``backbone.pth`` beside its checkpoints; one older than the
latest checkpoint is from an earlier pretraining there and is refused, not fine-tuned from.
Seeds are the outer loop, so a partial run leaves complete method comparisons.
Collect the tables with ``tools/benchmarks/collect_results.py``.
"""
import argparse
import os.path as osp
from typing import Dict

from mmengine.utils import ProgressBar

from grass_mm.benchmark.matrix import (cell_dir, finetune_cells, load_matrix, pretrain_cells,
                                       run_cell, seg_data_root)
from grass_mm.utils.cli import existing_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'matrix', type=existing_config, help='matrix file, e.g. configs/benchmark_matrix/*.py')
    parser.add_argument('--work-dir', help='override the matrix work_dir')
    parser.add_argument('--methods', nargs='+', help='only these methods (and ablations)')
    parser.add_argument('--heads', nargs='+', help='only these decode heads')
    parser.add_argument('--protocols', nargs='+', help='only these protocols (full/frozen)')
    parser.add_argument('--fractions', nargs='+', type=float, help='only these label fractions')
    parser.add_argument('--seeds', nargs='+', type=int, help='only these seeds')
    parser.add_argument(
        '--gpus',
        type=int,
        help='processes per cell: > 1 runs each cell through tools/dist_train.sh (torchrun), '
        'e.g. 4 for the 4xb4 configs (default: the matrix\'s gpus, an int or '
        'dict(pretrain=P, finetune=F), else 1)')
    parser.add_argument(
        '--dry-run', action='store_true', help='write every cell\'s run_config.py, train nothing')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    matrix = load_matrix(args.matrix)
    work_dir = args.work_dir or matrix.work_dir
    known = list(matrix.methods) + list(matrix.get('ablations', {}))
    for name in args.methods or []:
        if name not in known:
            raise SystemExit(f'--methods: unknown method {name!r}; the matrix has {known}')
    finetune = finetune_cells(matrix, args)
    needed = [m for m in known if any(c['method'] == m for c in finetune)]
    cells = pretrain_cells(matrix, needed) + finetune
    data_root = seg_data_root(matrix, work_dir)
    gpus = matrix.get('gpus', 1)  # processes per cell: an int, or dict(pretrain=P, finetune=F)
    gpus = dict(pretrain=gpus, finetune=gpus) if isinstance(gpus, int) else dict(gpus)
    if args.gpus:
        gpus = dict(pretrain=args.gpus, finetune=args.gpus)
    print(
        f'{len(cells)} cells ({len(cells) - len(finetune)} pretrainings, {len(finetune)} '
        f'fine-tunings) in {work_dir}',
        flush=True)
    failed: Dict[str, str] = {}
    bar = ProgressBar(len(cells))
    for cell in cells:
        if cell['kind'] == 'finetune' and cell['method'] in failed:
            status = f"skipped: pretraining of {cell['method']} failed"
        else:
            status = run_cell(matrix, cell, work_dir, data_root, args.dry_run,
                              gpus.get(cell['kind'], 1))
        if status.startswith('FAILED') and cell['kind'] == 'pretrain':
            failed[cell['method']] = status
        bar.update()
        print(f"\n{osp.relpath(cell_dir(work_dir, cell), work_dir)}: {status}", flush=True)
    failures = [c for c in cells if not osp.isfile(osp.join(cell_dir(work_dir, c), 'result.json'))]
    if failures and not args.dry_run:
        raise SystemExit(f'{len(failures)} of {len(cells)} cells did not finish; rerun the same '
                         'command to retry them (finished cells are skipped)')


if __name__ == '__main__':
    main()
