"""Cut GeoTIFF scenes into GeoTIFF patches that keep their own georeference.

    python tools/dataset_converters/make_geotiff_patches.py data/ms/img_dir/train \
        data/ms/pretrain_patches --patch-size 256 [--stride 256] [--min-valid 0.9] [--bands ...]

Any band count and dtype (read with rasterio, window by window). Each patch keeps the scene's
CRS, dtype and nodata, and its transform is the scene's moved to the patch. Patches with less
than --min-valid valid (non-nodata) pixels are skipped. Point it at *training* scenes only; the
output folder (new or empty) is read by the multispectral pretraining configs.
"""
import argparse
import os
import os.path as osp

import grass_mm  # noqa: F401  (stack fixes)
from grass_mm.cli.checks import existing_dir
from grass_mm.datasets.patches import cut_geotiff_patches
from grass_mm.datasets.raster import find_geotiffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', type=existing_dir, help='folder of GeoTIFF scenes (recursive)')
    parser.add_argument('out_dir', help='output folder (new or empty)')
    parser.add_argument('--patch-size', type=int, default=256)
    parser.add_argument('--stride', type=int, help='default: the patch size (no overlap)')
    parser.add_argument('--min-valid', type=float, default=0.0)
    parser.add_argument('--bands', type=int, nargs='+', help='0-based bands (default all)')
    args = parser.parse_args()
    if osp.isdir(args.out_dir) and os.listdir(args.out_dir):
        raise SystemExit(f'make_geotiff_patches: {args.out_dir} is not empty; give a new folder '
                         '(nothing is overwritten)')
    scenes = find_geotiffs(args.src)
    if not scenes:
        raise SystemExit(f'make_geotiff_patches: {args.src}: no .tif/.tiff files found')
    total = 0
    for scene in scenes:
        try:
            total += len(
                cut_geotiff_patches(scene, args.out_dir, args.patch_size, args.stride,
                                    args.min_valid, args.bands))
        except (ValueError, FileNotFoundError) as err:
            raise SystemExit(f'make_geotiff_patches: {err}')
    print(f'wrote {total} patches of {len(scenes)} scenes to {args.out_dir}')


if __name__ == '__main__':
    main()
