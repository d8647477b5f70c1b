"""Run a paired matrix end to end at a tiny schedule on one labelled crop, before its real run.

    python tools/benchmarks/smoke_paired.py configs/benchmark_matrix/potsdam_r50_gpu.py \
        ../shared/data/rs_benchmark_crops/pseudo_potsdam_dataset [--work-dir DIR] [--arms ...]

Every warm-up, arm, probe, purity measurement and one fine-tuning of the init and of a GS arm run
at pretraining seed 0 on the crop (:func:`grass_mm.benchmark.smoke.smoke_paired`), then the
record's tables are written to ``DIR/record``. The figures mean nothing; a failing step names its
log. Reruns continue where a run stopped.
"""
import argparse
import os.path as osp

from grass_mm.benchmark import load_paired_matrix, run_paired_seed
from grass_mm.benchmark.record import merge_cells, seed_cells
from grass_mm.benchmark.results import write_tables
from grass_mm.benchmark.smoke import smoke_paired
from grass_mm.cli.checks import existing_config, existing_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('matrix', type=existing_config, help='paired matrix file')
    parser.add_argument('crop', type=existing_dir, help='a labelled crop (img_dir/, ann_dir/)')
    parser.add_argument('--work-dir', help='default: work_dirs/smoke/<matrix name>')
    parser.add_argument('--arms', nargs='+', help='only these arms (default: all)')
    args = parser.parse_args()
    matrix = load_paired_matrix(args.matrix)
    unknown = set(args.arms or []) - set(matrix.arms)
    if unknown:
        parser.error(f'--arms {sorted(unknown)}: not arms of {args.matrix} ({list(matrix.arms)})')
    name = osp.splitext(osp.basename(args.matrix))[0]
    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', 'smoke', name))
    smoke = smoke_paired(matrix, args.crop, work_dir, args.arms)
    seed_dir = run_paired_seed(smoke, 0)['seed_dir']
    cells = merge_cells(osp.join(smoke.record_dir, 'cells.json'), seed_cells(smoke, seed_dir, 0))
    write_tables(cells, smoke, smoke.record_dir, draws=200)
    print(f'{name}: every step ran; tables in {smoke.record_dir}/results.md')


if __name__ == '__main__':
    main()
