"""Sampling purity: do GraSS's gradient boxes hold one ground object more than random boxes?

    python -m grass_mm.apis.sampling_purity CONFIG [--checkpoint CKPT] --img-dir DIR
        --ann-dir DIR --out-dir OUT [--num-images 128] [--batch 32] [--draws 8] [--seed 0]
        [--ignore-labels 255 ...]

Labelled images (mmseg layout: label maps are index PNGs with the image's file stem) are cut
into two views each, as a pretraining step does: a random resized crop with the config's view
size and area range, and a horizontal flip, applied to image and label alike (no colour
augmentation: it does not move boxes). Each batch of views goes through the model's own GS
sampling (``GraSS.sample``: guide pass → ``select_regions`` → crop path) in train mode, as in a
training step. For each view where a region was found:

- ``purity_gs``: the majority class's share of the labelled pixels in the gradient box;
- ``purity_random``: the same for ``--draws`` boxes of the same width and height placed at random
  in the same view (their mean);
- ``purity_whole``: the same for the whole view.

Writes ``OUT/summary.json`` (means, ``single_object_share``: GS boxes with purity >= 0.9, and
``gs_minus_random``: mean and 95 % bootstrap interval over views) and ``OUT/purity.png``.
Without ``--checkpoint`` the model is at random init: the null case, where the difference
should be near 0.

With ``--guides`` (and ``--thresholds``) the model's sampler is replaced by candidate guides
(``grass_mm.evaluation.guides``: Grad-CAM with and without ReLU, negated, at stage 3, the input
gradient, the activation map), each read at every threshold on the same views; the rows go to
``OUT/screen.json`` and the console.
"""
import argparse
import json
import os
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

from grass_mm.evaluation.guides import GUIDES, screen_guides
from grass_mm.evaluation.purity import find_transform, labelled_pairs, measure_purity
from grass_mm.utils.cli import existing_config, existing_dir, existing_file


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


def plot(arrays: dict, summary: dict, path: str) -> None:
    """Histograms of the gradient boxes', random boxes' and whole views' purity."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    gs, rand, whole, use = arrays['gs'], arrays['random'], arrays['whole'], arrays['use']
    fig, ax = plt.subplots(figsize=(5, 3.4))
    bins = np.linspace(0, 1, 21)
    for values, name in ((gs[use], 'gradient boxes'), (rand[use].ravel(), 'random boxes'),
                         (whole[use], 'whole views')):
        ax.hist(values[~np.isnan(values)], bins=bins, histtype='step', density=True, label=name)
    diff = summary['gs_minus_random']
    ax.set_title(
        f"GS − random {diff['mean']:+.3f} "
        f"[{diff['ci95'][0]:+.3f}, {diff['ci95'][1]:+.3f}], {int(use.sum())} views",
        fontsize=9)
    ax.set_xlabel('purity (majority-class share of the box)')
    ax.set_ylabel('density')
    ax.legend(fontsize=8, loc='upper left')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> None:
    """Measure (or screen guides), write the outputs and print the summary (see the module's
    docstring)."""
    args = parse_args(argv)
    out_name = 'screen.json' if args.guides else 'summary.json'
    if osp.exists(osp.join(args.out_dir, out_name)):
        raise SystemExit(f'{args.out_dir}/{out_name} exists; choose another --out-dir '
                         '(nothing is overwritten)')
    MMLogger.get_instance('mmengine').setLevel('WARNING')  # no init_weights reports
    cfg = Config.fromfile(args.config)
    # The oracle configs cut their views with LabelledRandomResizedCrop (the same crop rule).
    crops = ('RandomResizedCrop', 'LabelledRandomResizedCrop')
    crop = find_transform(cfg.get('train_dataloader', {}), crops) or \
        find_transform(cfg.get('train_pipeline', []), crops)
    if crop is None:
        raise SystemExit(f'{args.config}: no RandomResizedCrop in its training pipeline')
    size, area = int(crop['scale']), tuple(crop.get('crop_ratio_range', (0.08, 1.0)))
    torch.manual_seed(args.seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    if not hasattr(model, 'sample'):
        raise SystemExit(f'{args.config}: model.type={cfg.model.type} is not GraSS')
    model.init_weights()
    if args.checkpoint:
        try:
            load_checkpoint(model, args.checkpoint, map_location='cpu', logger='silent')
        except RuntimeError as err:  # names the file: not a checkpoint, truncated, ...
            raise SystemExit(str(err))
    log = lambda line: print(line, flush=True)  # noqa: E731
    if args.guides:
        try:
            rows = screen_guides(model, labelled_pairs(args.img_dir, args.ann_dir), size, area,
                                 args.guides, args.thresholds, args.num_images, args.batch,
                                 args.draws, args.ignore_labels, args.seed, log)
        except (FileNotFoundError, ValueError) as err:
            raise SystemExit(str(err))
        os.makedirs(args.out_dir, exist_ok=True)
        with open(osp.join(args.out_dir, 'screen.json'), 'w') as f:
            json.dump(
                dict(config=args.config, checkpoint=args.checkpoint, seed=args.seed, rows=rows),
                f,
                indent=1)
        for r in rows:
            d = r['gs_minus_random']
            print(f"{r['guide']:15s} t={r['threshold']:.2f} area {r['mean_box_area'] or 0:.2f} "
                  f"purity {r['purity_gs']:.3f} - random {d['mean']:+.3f} "
                  f"({d['ci95'][0]:+.3f} .. {d['ci95'][1]:+.3f})")
        return
    try:
        pairs = labelled_pairs(args.img_dir, args.ann_dir)
        summary, arrays = measure_purity(model, pairs, size, area, args.num_images, args.batch,
                                         args.draws, args.ignore_labels, args.seed, log)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(str(err))
    summary = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        img_dir=args.img_dir,
        seed=args.seed,
        **summary)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    plot(arrays, summary, osp.join(args.out_dir, 'purity.png'))
    print(
        json.dumps({
            k: summary[k]
            for k in ('views_used', 'purity_gs', 'purity_random', 'purity_whole',
                      'single_object_share', 'gs_minus_random')
        }))


if __name__ == '__main__':
    main()
