"""Convert the Dubai aerial set (original layout) to mmseg's img_dir/ann_dir layout.

    python tools/dataset_converters/dubai_aerial.py ../shared/data/dubai_aerial data/dubai_aerial
        [--all-tiles]

Without ``--all-tiles``: tiles 1-6 in ``train``, tile 7 in ``val``. With it: every tile in
``all``, for the leave-one-tile-out protocol (benchmark v2).
"""
import argparse

from grass_mm.cli.checks import existing_dir
from grass_mm.datasets import convert_dubai_aerial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'root', type=existing_dir, help="folder holding 'Tile N' folders (original layout)")
    parser.add_argument('out_dir', help='output folder in mmseg layout')
    parser.add_argument(
        '--all-tiles',
        action='store_true',
        help="every tile in one split, 'all' (leave-one-tile-out folds)")
    args = parser.parse_args()
    counts = convert_dubai_aerial(args.root, args.out_dir, all_tiles=args.all_tiles)
    what = 'all = tiles 1-7' if args.all_tiles else 'train = tiles 1-6, val = tile 7'
    print(f'converted {counts} images ({what}) into {args.out_dir}')


if __name__ == '__main__':
    main()
