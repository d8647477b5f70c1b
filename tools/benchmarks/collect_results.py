"""Keep a benchmark matrix's record and write its MMSeg-style tables.

    python tools/benchmarks/collect_results.py configs/benchmark_matrix/dubai_aerial_cpu.py
        [--work-dir DIR] [--out docs/results/dubai_aerial_cpu] [--per-seed]

Reads every ``result.json`` that ``tools/benchmarks/run_matrix.py`` wrote and adds it to the
published record ``--out/cells.json`` (a cell already there is replaced by its work-dir twin; a
pretraining's twin is one with the same weights, so another pretraining of a method is added
beside the one earlier rows stand on), so a session whose work dir is gone still publishes what
earlier ones measured. From that record it writes, under ``--out``: ``results.md`` (one table
per head, protocol and label fraction in MMSegmentation's columns, mIoU as mean ± std over
seeds, the majority-class floor, per-class IoU, the pretraining each row started from and, where
the matrix has a ``comparison``, the compared method against the baselines with the matrix's
target), ``miou_vs_fraction.png`` and each cell's scalars as ``logs/<method>/<cell>.log.json``
(the tables' log links). A row must come from one pretraining of its method: cells fine-tuned
from different backbones (``weights_sha256``) in one row are an error, not an average.

Not done here: loss curves (mmpretrain's log analysis reads the runs' ``scalars.json``:
``mim run mmpretrain analyze_logs plot_curve A/vis_data/scalars.json B/... --keys loss``), the
per-algorithm ``configs/*/metafile.yml`` (curated) and the README (written by people).
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config

from grass_mm.benchmark.collect import CELLS, load_results, merge, per_seed, plot_fractions, tables
from grass_mm.benchmark.matrix import repo_root
from grass_mm.utils.cli import existing_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'matrix', type=existing_config, help='the matrix file that run_matrix.py ran')
    parser.add_argument('--work-dir', help='override the matrix work_dir')
    parser.add_argument('--out', help='output folder (default docs/results/<matrix name>)')
    parser.add_argument(
        '--per-seed',
        action='store_true',
        help='also print every cell per seed and the compared method − each method per seed '
        '(with mean ± std)')
    args = parser.parse_args()
    matrix = Config.fromfile(args.matrix)
    name = osp.splitext(osp.basename(args.matrix))[0]
    work_dir = args.work_dir or matrix.work_dir
    out = args.out or osp.join(repo_root(), 'docs', 'results', name)
    os.makedirs(out, exist_ok=True)
    records = merge(out, load_results(work_dir))
    finetune = [r for r in records if r['kind'] == 'finetune']
    pretrain = [r for r in records if r['kind'] == 'pretrain']
    if not finetune:
        raise SystemExit(f'no finished fine-tuning cell (result.json) under {work_dir} '
                         f'nor in {osp.join(out, CELLS)}')
    block = tables(matrix, finetune, out)
    with open(osp.join(out, 'results.md'), 'w') as f:
        f.write(f'# Results of {args.matrix}\n\n{block}\n')
    plot_fractions(matrix, finetune, osp.join(out, 'miou_vs_fraction.png'))
    if args.per_seed:
        print(per_seed(matrix, finetune))
    print(f'{len(finetune)} fine-tuning results, {len(pretrain)} pretrainings -> {out}')


if __name__ == '__main__':
    main()
