"""Linear segmentation probe and k-NN patch probe of frozen backbones, leave-one-tile-out.

    python -m grass_mm.cli.linear_probe BACKBONE [BACKBONE ...] --out-dir OUT
        [--names NAME ...] [--data-root DIR] [--config CFG] [--folds 1 2 ...] [--seed 0]
        [--dataset-config SEG_CONFIG]

BACKBONE is ``random`` (the config's own initialisation from ``--seed``), an exported backbone
or a training checkpoint. By default the Dubai tiles, one fold per held-out tile
(:func:`grass_mm.evaluation.probe.probe_folds`; the protocol is in
docs/en/user_guides/benchmark.md, "Read-outs"); with ``--dataset-config`` any mmseg config's
train and val datasets, one held-out split (:func:`~grass_mm.evaluation.probe.probe_held_out`).
Writes ``OUT/probe.json`` (every score) and ``OUT/probe.md`` (the table: the floor, each
backbone, paired differences against the first; † marks runs not above the floor; "pooled"
scores the confusion summed over folds). Deterministic for a seed; nothing is
overwritten.
"""
import argparse
import json
import os
import os.path as osp
import time
from typing import List, Optional

from mmengine.config import Config
from mmengine.logging import MMLogger

from grass_mm.evaluation.probe import (FoldSettings, fold_table, load_split, probe_folds,
                                       probe_held_out)
from .checks import existing_config, file_or

DEFAULT_CONFIG = 'configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'


def parse_args(argv: Optional[List[str]] = None, repo: str = '.') -> argparse.Namespace:
    """The command line; ``repo`` is the checkout the default config and data root are in."""
    repo = osp.abspath(repo)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'backbones',
        nargs='+',
        metavar='BACKBONE',
        type=file_or('random'),
        help="'random', an exported backbone file or a training checkpoint")
    parser.add_argument('--out-dir', required=True, help='output folder (must not hold a probe)')
    parser.add_argument('--names', nargs='+', help='table names, one per BACKBONE')
    parser.add_argument(
        '--data-root',
        default=osp.join(
            os.environ.get('GRASS_MM_DATA', osp.join(repo, '..', 'shared', 'data')),
            'dubai_aerial'),
        help='the Dubai aerial set in its original layout (default: $GRASS_MM_DATA/dubai_aerial)')
    parser.add_argument(
        '--dataset-config',
        type=existing_config,
        help='an mmseg config whose train/val datasets are the probe\'s splits (instead of the '
        'Dubai tiles)')
    parser.add_argument(
        '--max-images', type=int, help='with --dataset-config: images read per split')
    parser.add_argument(
        '--max-windows',
        type=int,
        default=1000,
        help='with --dataset-config: k-NN windows per split, a seeded draw (default: 1000; '
        "DenseProbeHook's max_windows)")
    parser.add_argument(
        '--config',
        default=osp.join(repo, DEFAULT_CONFIG),
        type=existing_config,
        help='pretraining config: its backbone and normalisation')
    parser.add_argument(
        '--tiles',
        nargs='+',
        type=int,
        default=[1, 2, 3, 4, 5, 6, 7],
        help='tiles read (default: all 7)')
    parser.add_argument(
        '--folds', nargs='+', type=int, help='held-out tiles (default: every tile read)')
    parser.add_argument('--scale', type=float, default=0.5, help='one resize factor for all')
    parser.add_argument(
        '--stages',
        type=int,
        nargs='+',
        default=[2, 3, 4],
        choices=[1, 2, 3, 4],
        help='ResNet stages whose features are read out (default: 2 3 4)')
    parser.add_argument(
        '--pixels-per-class', type=int, default=10000, help='training pixels per class per fold')
    parser.add_argument('--patch', type=int, default=32, help='k-NN patch size (px)')
    parser.add_argument(
        '--min-purity', type=float, default=0.6, help='share of a k-NN window its class must cover')
    parser.add_argument('--k', type=int, default=20, help='k-NN neighbours')
    parser.add_argument('--seed', type=int, default=0, help='random init and pixel draw')
    parser.add_argument(
        '--fractions',
        type=float,
        nargs='+',
        default=[1.0],
        help='shares of each fold\'s training images the linear probe is also fitted on '
        '(a fixed subset per fold, drawn from --subset-seed; 1.0 is always run)')
    parser.add_argument(
        '--subset-seed', type=int, default=0, help='seed of the --fractions image subsets')
    args = parser.parse_args(argv)
    if any(not 0.0 < f <= 1.0 for f in args.fractions):
        parser.error(f'--fractions must be in (0, 1], got {args.fractions}')
    if args.names and len(args.names) != len(args.backbones):
        parser.error(f'--names: {len(args.names)} names for {len(args.backbones)} backbones')
    args.folds = args.folds or args.tiles
    if not set(args.folds) <= set(args.tiles) or len(args.tiles) < 2:
        parser.error(f'--folds {args.folds} must be among --tiles {args.tiles} (at least 2)')
    return args


def main(argv: Optional[List[str]] = None, repo: str = '.') -> None:
    """Probe, write ``probe.json`` and ``probe.md`` and print the table (see the module's
    docstring); ``repo`` as :func:`parse_args`'s."""
    args = parse_args(argv, repo)
    if osp.exists(osp.join(args.out_dir, 'probe.json')):
        raise SystemExit(f'{args.out_dir}/probe.json exists; choose another --out-dir '
                         '(nothing is overwritten)')
    MMLogger.get_instance('mmengine').setLevel('WARNING')  # no init_weights reports
    cfg = Config.fromfile(args.config)
    names = args.names or [
        'random' if p == 'random' else osp.splitext(osp.basename(p))[0] for p in args.backbones
    ]
    if args.dataset_config:
        try:
            result, table = probe_held_out(
                cfg,
                Config.fromfile(args.dataset_config),
                args.backbones,
                names,
                args.scale,
                args.max_images,
                args.seed,
                stages=args.stages,
                pixels_per_class=args.pixels_per_class,
                patch=args.patch,
                min_purity=args.min_purity,
                k=args.k,
                max_windows=args.max_windows)
        except (ValueError, FileNotFoundError) as err:
            raise SystemExit(f'--dataset-config {args.dataset_config}: {err}')
        return write(args.out_dir, dict(result, settings=vars(args)), table)
    start = time.time()
    try:
        split = load_split(
            dict(type='DubaiAerialTiles', data_root=args.data_root, tiles=args.tiles), args.scale)
    except FileNotFoundError as e:
        raise SystemExit(f'--data-root: {e}')
    print(f"{len(split['images'])} images ({time.time() - start:.0f} s to read)")
    settings = FoldSettings(args.folds, args.stages, args.pixels_per_class, args.k, args.seed,
                            args.fractions, args.subset_seed)
    try:
        result = probe_folds(cfg, args.backbones, names, split, settings, args.patch,
                             args.min_purity)
    except ValueError as err:
        raise SystemExit(str(err))
    result['settings'] = dict(vars(args), classes=split['classes'])
    write(args.out_dir, result, fold_table(result))


def write(out_dir: str, result: dict, table: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'probe.json'), 'w') as f:
        json.dump(result, f, indent=1)
    with open(osp.join(out_dir, 'probe.md'), 'w') as f:
        f.write(table)
    print(table)


if __name__ == '__main__':
    main()
