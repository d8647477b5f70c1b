"""GraSS vs SimCLR: step time, selection cost and peak memory, measured side by side.

    python tools/analysis_tools/benchmark_speed.py                     # CPU, small batches
    python tools/analysis_tools/benchmark_speed.py --device cuda --batch 256 --amp
    python tools/analysis_tools/benchmark_speed.py --plugins mocov2 byol densecl

For each backbone depth and view size, SimCLR and GraSS (efficient guide, reference guide,
efficient guide at ``--guide-scale``) are built with identical weights, neck, head and input.
Their training steps (forward, backward, SGD update) are interleaved, ``--steps`` times each
after ``--warmup`` steps, and the medians are compared. Printed ratios (targets in brackets):

- eff / SimCLR: efficient-guide GraSS step over a SimCLR step (<= 1.40)
- ref / SimCLR: reference full-backward guide (for comparison)
- select share: region selection + cropping over the efficient GraSS step (<= 3 %)
- mem eff / ref: peak memory over SimCLR's (<= 1.10). CUDA: max allocated bytes. CPU: the
  growth of peak RSS over the RSS before the first step, each method in a fresh process
  (activations, gradients, optimizer state; the framework and weights are left out of both).
- scale / SimCLR and box IoU: the efficient guide on views resized by ``--guide-scale``
  (<= 1.15) and the mean IoU of its boxes with the full-scale guide's (>= 0.8).

With ``--plugins``, a second table puts GS on each named base method (GSMoCoV2, GSBYOL,
GSDenseCL, efficient guide) against that method, built from ``configs/_base_/models/`` with the
backbone depth changed: GS step / base step (<= 1.45), selection share and peak memory.

``--amp`` (CUDA only) runs every step under fp16 autocast with a GradScaler, as
``tools/train.py --amp`` does.

Timings are noisy on shared machines: compare ratios from one run, never across runs.
"""
import argparse
import json
import os.path as osp
from typing import Optional

import torch
from mmengine.logging import MMLogger

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.speed import PLUGINS, SpeedSettings, measure, measure_plugin

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--depths', type=int, nargs='+', default=[18, 50])
    parser.add_argument('--sizes', type=int, nargs='+', default=[128, 224])
    parser.add_argument('--batch', type=int, default=16, help='images per step (2 views each)')
    parser.add_argument('--steps', type=int, default=5, help='measured steps per method')
    parser.add_argument('--warmup', type=int, default=2, help='unmeasured steps per method')
    parser.add_argument('--guide-scale', type=float, default=0.5)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--checkpoint',
        help='GraSS/SimCLR checkpoint for the weights '
        '(boxes of a trained network are more stable than a random one)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--plugins',
        nargs='*',
        default=[],
        choices=sorted(PLUGINS),
        help='also time GS on these base methods against the method itself')
    parser.add_argument(
        '--plugin-guide-scale',
        type=float,
        default=1.0,
        help='guide_scale of the GS models in the --plugins table')
    parser.add_argument(
        '--only-plugins', action='store_true', help='skip the GraSS vs SimCLR table')
    parser.add_argument('--amp', action='store_true', help='fp16 autocast + GradScaler (CUDA)')
    parser.add_argument('--out', help='also write every measured row here, one JSON line each')
    return parser.parse_args()


def record(path: Optional[str], row: dict) -> None:
    """Append one measured row to ``path`` as a JSON line (nothing without ``--out``)."""
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps(row) + '\n')


def main() -> None:
    args = parse_args()
    # The results are tables: no initialisation reports while models are built.
    MMLogger.get_instance('mmengine').setLevel('WARNING')
    if args.amp and args.device != 'cuda':
        raise SystemExit('benchmark_speed: --amp needs --device cuda (fp16 autocast)')
    settings = SpeedSettings(args.batch, args.steps, args.warmup, args.guide_scale,
                             args.plugin_guide_scale, args.device, args.checkpoint, args.seed,
                             args.amp, osp.join(REPO, 'configs', '_base_', 'models'))
    device = torch.cuda.get_device_name() if args.device == 'cuda' else \
        f'CPU, {torch.get_num_threads()} threads'
    print(f'# GraSS vs SimCLR, {device}, torch {torch.__version__}, batch {args.batch} '
          f'images (x2 views), median of {args.steps} steps after {args.warmup}, '
          f'seed {args.seed}, weights: {args.checkpoint or "random init"}'
          f'{", AMP fp16" if args.amp else ""}')
    print('| backbone | views | SimCLR step (s) | eff / SimCLR | ref / SimCLR | select share | '
          f'mem eff / SimCLR | mem ref / SimCLR | scale {args.guide_scale} / SimCLR | box IoU |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for depth in [] if args.only_plugins else args.depths:
        for size in args.sizes:
            r = measure(depth, size, settings)
            record(args.out, r)
            print(
                f"| ResNet-{r['depth']} | {r['size']} px | {r['simclr']:.3f} | "
                f"{r['eff']:.2f}x | {r['ref']:.2f}x | {r['share']:.1%} | "
                f"{r['mem_eff']:.2f}x | {r['mem_ref']:.2f}x | {r['scale']:.2f}x | "
                f"{r['iou']:.2f} |",
                flush=True)
    if not args.plugins:
        return
    print('\n# GS on other methods (efficient guide, guide_scale '
          f'{args.plugin_guide_scale}) vs the method itself, random init')
    print('| base method | backbone | views | base step (s) | GS / base | select share | '
          'mem GS / base |')
    print('|---|---|---|---|---|---|---|')
    for plugin in args.plugins:
        for depth in args.depths:
            for size in args.sizes:
                r = measure_plugin(plugin, depth, size, settings)
                record(args.out, dict(r, plugin=plugin, depth=depth, size=size))
                print(
                    f"| {PLUGINS[plugin][0]} | ResNet-{depth} | {size} px | {r['base']:.3f} | "
                    f"{r['gs']:.2f}x | {r['share']:.1%} | {r['mem']:.2f}x |",
                    flush=True)


if __name__ == '__main__':
    main()
