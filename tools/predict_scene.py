"""Segment a GeoTIFF scene of any size into a georeferenced, GIS-ready map, window by window.

    python tools/predict_scene.py CONFIG CHECKPOINT INPUT.tif OUTPUT.tif \
        [--window 512] [--overlap 128] [--bands 0 1 2 3] [--preview preview.png] \
        [--confidence confidence.tif] [--verbose]

Windows blend their logits with tent weights; memory stays bounded by one row of windows. The
map has the input's CRS, transform and size, class indices as uint8 and 255 (nodata) exactly
where the input's dataset mask says there is no data; it carries the class names, the palette
as colour table, overviews and a QGIS style (``OUTPUT.qml``). ``--confidence`` writes the top
class's probability (uint8, 1-255; 0 is nodata). No output file may exist, and no two may share a
path; each is written under a hidden temporary name and renamed when complete. The console shows
one line per phase and the summary; library messages go to ``OUTPUT.log`` (``--verbose``: to
the console). The library form: ``grass_mm.apis.predict_scene``.
"""
import argparse
import os.path as osp
import resource
import sys
import time

import torch

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.apis import SceneModel, check_outputs, predict_scene
from grass_mm.cli.checks import existing_config, existing_file
from grass_mm.utils import quiet
from grass_mm.utils.compat import FULL_UNPICKLED, TRUST_ENV
from grass_mm.utils.console import progress_line


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
    parser.add_argument('--confidence', help="also write the top class's probability (GeoTIFF)")
    parser.add_argument(
        '--verbose', action='store_true', help='library messages on the console, not in a log')
    parser.add_argument(
        '--skip-units-check',
        action='store_true',
        help="predict even where a band's mean is far from the model's (other units?)")
    return parser.parse_args()


def main() -> None:
    start = time.time()
    args = parse_args()
    console, log = sys.stdout, osp.splitext(args.output)[0] + '.log'
    outputs = dict(map=args.output, confidence=args.confidence, preview=args.preview)
    try:  # before the log is opened or any work is done
        check_outputs(args.input, **outputs, style=osp.splitext(args.output)[0] + '.qml')
        if osp.abspath(log) in {osp.abspath(p) for p in outputs.values() if p}:
            raise ValueError(f'{log}: an output would replace the run\'s log; give it another '
                             'name')
    except ValueError as err:
        raise SystemExit(f'predict_scene: {err}')
    print(f'predict_scene: {args.input} -> {args.output} (window {args.window}, overlap '
          f'{args.overlap}; messages: {"console" if args.verbose else log})')
    try:
        with quiet(log, args.verbose):
            model = SceneModel(args.config, args.checkpoint, args.device)
        if osp.abspath(args.checkpoint) in FULL_UNPICKLED:
            print(f'  note: {args.checkpoint} was unpickled fully, as {TRUST_ENV} asks: it can '
                  'run code; name only files you trust there.')
        phase_start = time.time()
        with quiet(log, args.verbose):
            summary = predict_scene(
                model, args.input, args.output, args.window, args.overlap, args.bands, args.batch,
                args.preview, args.confidence,
                lambda done, total: progress_line(console, 'windows', done, total, phase_start),
                not args.skip_units_check)
    except ValueError as err:
        raise SystemExit(f'predict_scene: {err}')
    if not summary['georeferenced']:  # said here too: the library's warning is in the log
        print(
            f'predict_scene: {args.input} has no georeference (no CRS): {args.output} is '
            'written without one',
            file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    written = [args.output] + [p for p in (args.confidence, args.preview) if p]
    print(f'predict_scene: wrote {", ".join(written)} in {time.time() - start:.0f} s, peak RSS '
          f'{peak:.2f} GiB; {summary["valid"]} pixels predicted, {summary["nodata"]} nodata; '
          f'classes: {", ".join(summary["classes"]) or "unnamed"}')


if __name__ == '__main__':
    main()
