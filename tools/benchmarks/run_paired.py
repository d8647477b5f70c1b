"""Run paired pretraining arms from one start per seed, with their probes and purity.

    python tools/benchmarks/run_paired.py configs/benchmark_matrix/dubai_aerial_v2_paired.py
        [--seeds 0 1 2] [--arms gs_byol]

Seed by seed (the matrix's ``pretrain_seeds`` by default): the shared init, the shared warm-up,
the continuations and full runs, the probes and the purity (``grass_mm.benchmark.paired``), each
a ``python -m grass_mm.cli.<step>`` process run from the working directory (the matrix's
relative paths are read from there). Rerunning the same command continues where it stopped.
``--arms`` runs only those arms (and the init, warm-ups and random-init probe they start from),
e.g. a seed's arms one after the other in one work dir. An arm run later, after the work dir is
gone, is not paired with the record's: a rebuilt warm-up need not be the same network.
"""
import argparse
import time

from grass_mm.benchmark import load_paired_matrix, run_paired_seed
from grass_mm.cli.checks import existing_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('matrix', type=existing_config, help='paired matrix file')
    parser.add_argument('--seeds', nargs='+', type=int, help='pretraining seeds (default: all)')
    parser.add_argument('--arms', nargs='+', help="only these arms (default: all the matrix's)")
    args = parser.parse_args()
    matrix = load_paired_matrix(args.matrix)
    for seed in args.seeds or matrix.pretrain_seeds:
        run_paired_seed(
            matrix,
            seed,
            log=lambda s: print(time.strftime('%H:%M:%S'), s, flush=True),
            arms=args.arms)


if __name__ == '__main__':
    main()
