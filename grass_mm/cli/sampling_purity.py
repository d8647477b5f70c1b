"""Sampling purity: do GraSS's gradient boxes hold one ground object more than random boxes?

    python -m grass_mm.cli.sampling_purity CONFIG [--checkpoint CKPT] --img-dir DIR
        --ann-dir DIR --out-dir OUT [--num-images 128] [--batch 32] [--draws 8] [--seed 0]
        [--ignore-labels 255 ...] [--guides GUIDE ... --thresholds T ...]

What is measured and written: :mod:`grass_mm.apis.sampling_purity`. Prints the summary (or,
with ``--guides``, one line per guide and threshold).
"""
import argparse
import json
from typing import List, Optional

from mmengine.logging import MMLogger

from grass_mm.apis.sampling_purity import sampling_purity, screen
from grass_mm.evaluation.guides import GUIDES
from .checks import existing_config, existing_dir, existing_file


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=existing_config, help='GraSS pretraining config')
    parser.add_argument(
        '--checkpoint', type=existing_file, help='training checkpoint (default: random init)')
    parser.add_argument('--img-dir', required=True, type=existing_dir, help='labelled images')
    parser.add_argument(
        '--ann-dir', required=True, type=existing_dir, help='index label maps (same file stems)')
    parser.add_argument('--out-dir', required=True, help='output folder (must not hold one)')
    parser.add_argument('--num-images', type=int, default=128, help='images drawn (2 views each)')
    parser.add_argument('--batch', type=int, default=32, help='images per sampling batch')
    parser.add_argument('--draws', type=int, default=8, help='random boxes per gradient box')
    parser.add_argument(
        '--ignore-labels',
        type=int,
        nargs='+',
        default=[255],
        help='label values that are not a class (default: 255)')
    parser.add_argument('--seed', type=int, default=0, help='seed of images, views and draws')
    parser.add_argument(
        '--guides',
        nargs='+',
        choices=GUIDES,
        help='screen these candidate guides instead of the model\'s own sampler '
        '(grass_mm.evaluation.guides; writes screen.json)')
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs='+',
        default=[0.5],
        help='region thresholds each screened guide is read at (default: 0.5)')
    args = parser.parse_args(argv)
    if args.batch < 2:
        parser.error('--batch must be >= 2 (the contrastive loss needs negatives)')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    MMLogger.get_instance('mmengine').setLevel('WARNING')  # no init_weights reports
    common = dict(
        num_images=args.num_images,
        batch=args.batch,
        draws=args.draws,
        ignore_labels=args.ignore_labels,
        seed=args.seed,
        log=lambda line: print(line, flush=True))
    try:
        if args.guides:
            rows = screen(args.config, args.checkpoint, args.img_dir, args.ann_dir, args.out_dir,
                          args.guides, args.thresholds, **common)
        else:
            summary = sampling_purity(args.config, args.checkpoint, args.img_dir, args.ann_dir,
                                      args.out_dir, **common)
    except (FileExistsError, FileNotFoundError, ValueError, RuntimeError) as err:
        raise SystemExit(str(err))
    if args.guides:
        for r in rows:
            d = r['gs_minus_random']
            print(f"{r['guide']:15s} t={r['threshold']:.2f} area {r['mean_box_area'] or 0:.2f} "
                  f"purity {r['purity_gs']:.3f} - random {d['mean']:+.3f} "
                  f"({d['ci95'][0]:+.3f} .. {d['ci95'][1]:+.3f})")
        return
    print(
        json.dumps({
            k: summary[k]
            for k in ('views_used', 'purity_gs', 'purity_random', 'purity_whole',
                      'single_object_share', 'gs_minus_random')
        }))


if __name__ == '__main__':
    main()
