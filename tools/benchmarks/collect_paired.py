"""Add a paired benchmark's probe, purity and timing results to its record and write the tables.

    python tools/benchmarks/collect_paired.py configs/benchmark_matrix/dubai_aerial_v2_paired.py
        [--work-dir DIR] [--out DIR]

Reads ``WORK_DIR/seed*/`` (``tools/benchmarks/run_paired.py``), merges it into ``OUT/cells.json``
(the matrix's ``record_dir``; cells measured again replace their twins, others are kept) and
writes ``OUT/results.md`` and ``OUT/comparisons.json`` from the whole record
(``grass_mm.benchmark.record``).
"""
import argparse
import glob
import os.path as osp
import re

from grass_mm.benchmark import load_paired_matrix
from grass_mm.benchmark.record import merge_cells, seed_cells, write_tables
from grass_mm.utils.cli import existing_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('matrix', type=existing_config, help='paired matrix file')
    parser.add_argument('--work-dir', help="the runs' folder (default: the matrix's work_dir)")
    parser.add_argument('--out', help="the record's folder (default: the matrix's record_dir)")
    parser.add_argument(
        '--seeds', nargs='+', type=int, help='only these seeds (default: every seed folder)')
    args = parser.parse_args()
    matrix = load_paired_matrix(args.matrix)
    work_dir, out = args.work_dir or matrix.work_dir, args.out or matrix.record_dir
    fresh = []
    for seed_dir in sorted(glob.glob(osp.join(work_dir, 'seed*'))):
        seed = int(re.fullmatch(r'seed(\d+)', osp.basename(seed_dir)).group(1))
        if args.seeds is not None and seed not in args.seeds:
            continue
        fresh += seed_cells(matrix, seed_dir, seed)
    cells = merge_cells(osp.join(out, 'cells.json'), fresh)
    print(f'{len(fresh)} cells from {work_dir}; {len(cells)} in {out}/cells.json')
    print(write_tables(cells, matrix, out))


if __name__ == '__main__':
    main()
