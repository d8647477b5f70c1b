"""Convert the Dubai aerial set (original layout) to mmseg's img_dir/ann_dir layout.

    python tools/dataset_converters/dubai_aerial.py ../shared/data/dubai_aerial data/dubai_aerial
"""
import argparse

from grass_mm.datasets import convert_dubai_aerial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help="folder holding 'Tile N' folders (original layout)")
    parser.add_argument('out_dir', help='output folder in mmseg layout')
    args = parser.parse_args()
    counts = convert_dubai_aerial(args.root, args.out_dir)
    print(f'converted {counts} images (train = tiles 1-6, val = tile 7) into {args.out_dir}')


if __name__ == '__main__':
    main()
