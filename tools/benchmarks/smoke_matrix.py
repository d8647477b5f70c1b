"""Run a benchmark matrix end to end at a tiny schedule on one labelled crop, before its real run.

    python tools/benchmarks/smoke_matrix.py configs/benchmark_matrix/potsdam_r50_gpu.py \
        ../shared/data/rs_benchmark_crops/pseudo_potsdam_dataset [--work-dir DIR] \
        [run_matrix.py filters: --methods grass --heads fcn --seeds 0 ...]

A GPU preset pretrains for days: this checks every config it names, the data pipelines, GraSS's
switch to gradient-guided sampling, the backbone export and each decode head's fine-tuning and
evaluation in minutes, on the CPU if need be. It suits matrices whose pretraining configs read
one image folder (``train_dataloader.dataset.data_root``), as the GPU presets do. CROP is a
folder in mmseg's layout with its images flat under ``img_dir/`` and ``ann_dir/`` (the real
crops in ``../shared/data/rs_benchmark_crops``). It is linked as both the training and the
validation split, and cut into 256 px pretraining patches, under ``--work-dir`` (default
``work_dirs/smoke/<matrix name>``). Every method and ablation then pretrains for 2 epochs of 2
steps of batch 2 (GraSS: at most 1 warm-up epoch, then gradient-guided sampling) and every
fine-tuning cell trains 2 iterations of batch 2 and evaluates, through
``tools/benchmarks/run_matrix.py`` on a matrix derived from the given one. The figures mean
nothing; a cell that fails names its log.
"""
import argparse
import os.path as osp
import subprocess
import sys

from mmengine.config import Config

from grass_mm.benchmark.matrix import repo_root
from grass_mm.benchmark.smoke import smoke_matrix
from grass_mm.utils.cli import existing_config, existing_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'matrix', type=existing_config, help='matrix file, e.g. configs/benchmark_matrix/*.py')
    parser.add_argument(
        'crop', type=existing_dir, help='labelled crop in mmseg layout (img_dir/, ann_dir/)')
    parser.add_argument('--work-dir', help='default: work_dirs/smoke/<matrix name>')
    args, filters = parser.parse_known_args()
    name = osp.splitext(osp.basename(args.matrix))[0]
    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', 'smoke', name))
    smoke = smoke_matrix(Config.fromfile(args.matrix), args.crop, work_dir)
    smoke.dump(osp.join(work_dir, 'matrix.py'))
    sys.exit(
        subprocess.call([
            sys.executable,
            osp.join(repo_root(), 'tools', 'benchmarks', 'run_matrix.py'),
            osp.join(work_dir, 'matrix.py')
        ] + filters))


if __name__ == '__main__':
    main()
