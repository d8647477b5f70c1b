"""Cut large remote-sensing images into pretraining patches (an image folder).

    python tools/dataset_converters/make_patches.py data/potsdam/img_dir/train \
        data/potsdam/pretrain_patches --patch-size 256 --stride 256 --min-valid 0.9

Point it at *training* images only (e.g. mmseg's img_dir/train): validation tiles must never
reach pretraining. The output folder is read by CustomDataset(with_label=False). It must lie
outside the source folder; folders this tool wrote (they hold its patches.json) are never read
as sources.
"""
import argparse
import os.path as osp

from grass_mm.cli.checks import existing_dir
from grass_mm.datasets.patches import cut_patches, find_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', type=existing_dir, help='folder of images (searched recursively)')
    parser.add_argument('out_dir', help='output folder (new, or holding the same cut)')
    parser.add_argument('--patch-size', type=int, default=256)
    parser.add_argument('--stride', type=int, help='default: the patch size (no overlap)')
    parser.add_argument(
        '--border',
        choices=['drop', 'shift', 'pad'],
        default='shift',
        help='partial patches at the right/bottom border: drop them, shift '
        'the last patch inside the image, or pad with zeros')
    parser.add_argument(
        '--min-valid',
        type=float,
        default=0.0,
        help='skip patches with a smaller fraction of valid (non-zero, '
        'non-transparent, non-padded) pixels')
    parser.add_argument(
        '--convert',
        action='store_true',
        help='convert 16-bit, grayscale and RGBA images instead of rejecting')
    parser.add_argument('--bands', type=int, nargs=3, help='three bands of a multi-band image')
    args = parser.parse_args()
    src, out = osp.abspath(args.src), osp.abspath(args.out_dir)
    if osp.commonpath([src, out]) == src:
        parser.error(f'out_dir {args.out_dir} is inside src {args.src}: choose a folder outside '
                     'it (patches inside the source would be cut again as sources)')
    counts = cut_patches(
        find_images(args.src), args.out_dir, args.patch_size, args.stride, args.border,
        args.min_valid, args.convert, args.bands)
    print(f"\n{counts['images']} images -> {counts['written']} patches written to "
          f"{args.out_dir} ({counts['existing']} already there, {counts['skipped']} below "
          f'--min-valid)')


if __name__ == '__main__':
    main()
