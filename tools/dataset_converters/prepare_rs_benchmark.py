"""Official Potsdam / Vaihingen / LoveDA archives -> mmseg layout + pretraining patches.

    python tools/dataset_converters/prepare_rs_benchmark.py potsdam ARCHIVES [-o data/potsdam]
    python tools/dataset_converters/prepare_rs_benchmark.py vaihingen ARCHIVES [-o data/vaihingen]
    python tools/dataset_converters/prepare_rs_benchmark.py loveda ARCHIVES [-o data/loveDA]
    python tools/dataset_converters/prepare_rs_benchmark.py potsdam-rgbir ARCHIVES \
        [-o data/potsdam_rgbir]

ARCHIVES is the folder holding the downloaded zips, as mmseg's converters expect it (Potsdam:
``2_Ortho_RGB.zip`` and ``5_Labels_all_noBoundary.zip``; Vaihingen:
``ISPRS_semantic_labeling_Vaihingen.zip`` and
``ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE.zip``; LoveDA: ``Train.zip``,
``Val.zip``, ``Test.zip``). What is written where: :mod:`grass_mm.datasets.rs_benchmarks`.
Existing outputs are never overwritten.
"""
import argparse

from grass_mm.cli.checks import existing_dir
from grass_mm.datasets.rs_benchmarks import DEFAULT_OUT, prepare_rs_benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dataset', choices=sorted(DEFAULT_OUT))
    parser.add_argument(
        'archives', type=existing_dir, help='folder holding the official zip archives')
    parser.add_argument('-o', '--out', help='output root (default: the configs\' data root)')
    parser.add_argument(
        '--patch-size',
        type=int,
        default=256,
        help='pretraining patch size (256 in the authors\' related work)')
    args = parser.parse_args()
    try:
        report = prepare_rs_benchmark(args.dataset, args.archives, args.out, args.patch_size)
    except (ValueError, RuntimeError) as error:
        raise SystemExit(str(error))
    print('\n'.join(report))


if __name__ == '__main__':
    main()
