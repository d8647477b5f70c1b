"""Add paired benchmarks' probe, purity, fine-tuning and timing results to their records and
write the tables.

    python tools/benchmarks/collect_paired.py MATRIX [MATRIX ...] [--work-dir DIR] [--out DIR]
        [--seeds 0 1] [--table docs/results/r50_gpu_table.md]

For each matrix: reads ``WORK_DIR/seed*/`` (``tools/benchmarks/run_paired.py``), merges it into
``OUT/cells.json`` (the matrix's ``record_dir``; cells measured again replace their twins, others
are kept) and writes ``OUT/results.md`` and ``OUT/comparisons.json`` from the whole record
(``grass_mm.benchmark.record`` and ``.results``). With ``--table``, the MMSeg-style table of all the
matrices' records (method x dataset, mIoU with its interval, GS - base per method) is written there
too.
"""
import argparse
import glob
import os.path as osp
import re

from grass_mm.benchmark import load_paired_matrix
from grass_mm.benchmark.mmseg_table import gs_table
from grass_mm.benchmark.record import merge_cells, seed_cells
from grass_mm.benchmark.results import write_tables
from grass_mm.cli.checks import existing_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('matrices', nargs='+', type=existing_config, help='paired matrix files')
    parser.add_argument(
        '--work-dir', help="the runs' folder (one matrix; default: the matrix's work_dir)")
    parser.add_argument(
        '--out', help="the record's folder (one matrix; default: the matrix's record_dir)")
    parser.add_argument(
        '--seeds', nargs='+', type=int, help='only these seeds (default: every seed folder)')
    parser.add_argument('--table', help='write the MMSeg-style table of all the records here')
    args = parser.parse_args()
    if len(args.matrices) > 1 and (args.work_dir or args.out):
        parser.error('--work-dir and --out name the folders of one matrix')
    records, pairs = {}, []
    for path in args.matrices:
        matrix = load_paired_matrix(path)
        work_dir, out = args.work_dir or matrix.work_dir, args.out or matrix.record_dir
        fresh = []
        for seed_dir in sorted(glob.glob(osp.join(work_dir, 'seed*'))):
            seed = int(re.fullmatch(r'seed(\d+)', osp.basename(seed_dir)).group(1))
            if args.seeds is None or seed in args.seeds:
                fresh += seed_cells(matrix, seed_dir, seed)
        cells = merge_cells(osp.join(out, 'cells.json'), fresh)
        print(f'{len(fresh)} cells from {work_dir}; {len(cells)} in {out}/cells.json')
        text = write_tables(cells, matrix, out)
        if len(args.matrices) == 1:
            print(text)
        records[matrix.get('dataset', osp.basename(out))] = cells
        pairs += [tuple(p) for p in matrix.get('gs_pairs', []) if tuple(p) not in pairs]
    if args.table:
        table = gs_table(records, pairs)
        with open(args.table, 'w') as f:
            f.write('# mmseg fine-tuning, generated from the records (do not edit)\n\n'
                    f"Records: {', '.join(records)}. {TABLE_NOTE}\n\n{table}")
        print(table)


TABLE_NOTE = ('mIoU: the mean over pretraining seeds (each the mean over its fine-tuning '
              'seeds), with the t-interval over the seed means; GS − base paired by seed.')

if __name__ == '__main__':
    main()
