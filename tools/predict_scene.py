"""Segment a GeoTIFF scene of any size into a georeferenced uint8 GeoTIFF, window by window.

    python tools/predict_scene.py CONFIG CHECKPOINT INPUT.tif OUTPUT.tif \
        [--window 512] [--overlap 128] [--bands 0 1 2 3] [--preview preview.png]

A sliding window of ``--window`` pixels moves by ``window - overlap``; each window's logits are
weighted by a tent that falls towards the window's edges and summed, so overlapping windows blend
without seams. The scene is read one row of windows at a time and the output written as soon as
no later window can touch a row, so memory stays bounded by one row of windows whatever the
scene's size. The output has the input's CRS, transform and size, class indices as uint8, and
255 (its nodata) where the input is nodata. A scene without georeference is segmented with a
warning and written without CRS; a scene smaller than the window is one window. The output file
must not exist. The library form: ``grass_mm.apis.predict_scene``.
"""
import argparse
import resource
import time

import torch

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.apis import SceneModel, predict_scene
from grass_mm.utils.cli import existing_config, existing_file


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=existing_config, help='mmseg config of the model')
    parser.add_argument('checkpoint', type=existing_file, help='its trained checkpoint')
    parser.add_argument('input', type=existing_file, help='GeoTIFF scene')
    parser.add_argument('output', help='output GeoTIFF (must not exist)')
    parser.add_argument('--window', type=int, default=512, help='window side in pixels')
    parser.add_argument('--overlap', type=int, default=128, help='overlap of neighbouring windows')
    parser.add_argument('--bands', type=int, nargs='+', help='0-based bands to read (default all)')
    parser.add_argument('--batch', type=int, default=4, help='windows per forward pass')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--preview', help='also write a colour PNG preview (at most 1024 px)')
    return parser.parse_args()


def main() -> None:
    start = time.perf_counter()
    args = parse_args()
    model = SceneModel(args.config, args.checkpoint, args.device)
    print(f'predict_scene: {args.input} -> {args.output}, window {args.window}, '
          f'overlap {args.overlap}')
    try:
        predict_scene(model, args.input, args.output, args.window, args.overlap, args.bands,
                      args.batch, args.preview)
    except ValueError as err:
        raise SystemExit(f'predict_scene: {err}')
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(f'\npredict_scene: wrote {args.output}' +
          (f' and {args.preview}' if args.preview else '') +
          f' in {time.perf_counter() - start:.0f} s, peak RSS {peak:.2f} GiB')


if __name__ == '__main__':
    main()
