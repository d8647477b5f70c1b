"""Per-band mean, std and percentiles of a folder of GeoTIFF scenes, and the config snippet.

    python tools/analysis_tools/band_stats.py data/ms/img_dir/train [--bands 0 1 2 3] \
        [--nodata 0] [--percentiles 1 99] [--out band_stats.json]

Streams every scene block by block (memory does not grow with the data); nodata pixels (the
file's nodata or mask, or --nodata) never count. Point it at *training* scenes only. The printed
snippet is the data_preprocessor for a pretraining config (MultiBandDataPreprocessor) and for an
mmseg config (SegDataPreProcessor, bgr_to_rgb=False).
"""
import argparse
import json

import grass_mm  # noqa: F401  (stack fixes)
from grass_mm.cli.checks import existing_dir
from grass_mm.datasets.raster import band_statistics, find_geotiffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('folder', type=existing_dir, help='folder of GeoTIFF scenes (recursive)')
    parser.add_argument('--bands', type=int, nargs='+', help='0-based bands (default all)')
    parser.add_argument('--nodata', type=float, help="nodata value overriding the files' own")
    parser.add_argument('--percentiles', type=float, nargs='+', default=[1, 99])
    parser.add_argument('--out', help='also write the statistics as JSON')
    args = parser.parse_args()
    paths = find_geotiffs(args.folder)
    if not paths:
        raise SystemExit(f'band_stats: {args.folder}: no .tif/.tiff files found')
    try:
        stats = band_statistics(paths, args.bands, args.nodata, args.percentiles)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'band_stats: {err}')
    stats['files'] = len(paths)
    print(f'{len(paths)} scenes, {stats["count"]} valid pixels per band')
    keys = ['mean', 'std', 'min', 'max'] + [f'p{q:g}' for q in args.percentiles]
    print('| band | ' + ' | '.join(keys) + ' |')
    print('|---' * (len(keys) + 1) + '|')
    for b in range(len(stats['mean'])):
        band = args.bands[b] if args.bands else b
        print(f'| {band} | ' + ' | '.join(f'{stats[k][b]:.2f}' for k in keys) + ' |')
    mean = [round(v, 2) for v in stats['mean']]
    std = [round(v, 2) for v in stats['std']]
    print('\n# pretraining (mmpretrain) config:')
    print(f"model = dict(data_preprocessor=dict(_delete_=True, type='MultiBandDataPreprocessor', "
          f'mean={mean}, std={std}), backbone=dict(in_channels={len(mean)}))')
    print('# fine-tuning (mmseg) config:')
    print(f'model = dict(data_preprocessor=dict(mean={mean}, std={std}, bgr_to_rgb=False), '
          f'backbone=dict(in_channels={len(mean)}))')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(stats, f, indent=2)


if __name__ == '__main__':
    main()
