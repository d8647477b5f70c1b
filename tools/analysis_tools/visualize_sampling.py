"""Show what GraSS samples: gradient maps and chosen boxes for a folder of images.

    python tools/analysis_tools/visualize_sampling.py CONFIG CHECKPOINT IMAGE_DIR
        [--out-dir DIR] [--num-images 16] [--show 8] [--seed 0]

Each image gets two views from the config's own training pipeline (seeded); the batch of views
goes through the model's sampling exactly as in a GS training step (``GraSS.sample``: guide
pass, ``select_regions``, ``crop_and_resize``). Writes to ``--out-dir``: ``sampling_grid.png``
(per view: the view with its box | heat-map, threshold contour and box | crop),
``box_area_hist.png`` and
``summary.json`` (box areas, the fallback rate: views where no region was found and the whole
view is used). CHECKPOINT may be a training checkpoint or ``none`` (random weights).
"""
import argparse
import json
import os
import os.path as osp
import random

import matplotlib
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.utils import ProgressBar
from mmpretrain.registry import MODELS

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.cli.checks import existing_config, existing_dir, file_or
from grass_mm.datasets.patches import find_images
from grass_mm.visualization import sampling_grid

matplotlib.use('Agg')
import matplotlib.pyplot as plt
import mmcv


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=existing_config, help='GraSS pretraining config')
    parser.add_argument(
        'checkpoint',
        type=file_or('none'),
        help="training checkpoint, or 'none' for random weights")
    parser.add_argument(
        'image_dir', type=existing_dir, help='folder of images (searched recursively)')
    parser.add_argument('--out-dir', default='work_dirs/sampling', help='output folder')
    parser.add_argument('--num-images', type=int, default=16, help='images to sample from')
    parser.add_argument('--show', type=int, default=8, help='views drawn in the grid')
    parser.add_argument('--seed', type=int, default=0, help='seed of the image choice and views')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # The results are tables: no initialisation reports while models are built.
    MMLogger.get_instance('mmengine').setLevel('WARNING')
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    if not hasattr(model, 'sample'):
        raise SystemExit(f'{args.config}: model.type={cfg.model.type} is not GraSS')
    if args.checkpoint != 'none':
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    images = find_images(args.image_dir)
    if len(images) < 2:
        raise SystemExit(f'{args.image_dir}: need at least 2 images (the contrastive loss '
                         f'needs negatives), found {len(images)}')
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    chosen = sorted(random.sample(images, min(args.num_images, len(images))))
    # The views of a training step: the config's pipeline, minus file loading.
    pipeline = cfg.train_dataloader.dataset.get('pipeline') or cfg.train_pipeline
    pipeline = Compose([t for t in pipeline if t['type'] != 'LoadImageFromFile'])
    samples, bar = [], ProgressBar(len(chosen))
    for path in chosen:
        image = mmcv.imread(path, flag='color')
        if image is None:
            raise SystemExit(f'{path}: not a readable image')
        samples.append(
            pipeline(
                dict(
                    img=image, img_path=path, ori_shape=image.shape[:2],
                    img_shape=image.shape[:2])))
        bar.update()
    data = model.data_preprocessor(default_collate(samples), training=True)
    views = torch.stack(data['inputs'], 1).flatten(0, 1)  # the order GraSS.loss uses
    model.train()  # as in a training step (BN batch statistics)
    maps, boxes, found, crops = model.sample(views)

    os.makedirs(args.out_dir, exist_ok=True)
    k = min(args.show, len(views))
    grid = sampling_grid(model,
                         dict(views=views[:k], maps=maps[:k], boxes=boxes[:k], crops=crops[:k]))
    mmcv.imwrite(grid[..., ::-1], osp.join(args.out_dir, 'sampling_grid.png'))
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).float() / (
        views.shape[-1] * views.shape[-2])
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.hist(area[found].numpy(), bins=20, range=(0, 1))
    ax.set_xlabel('box area / view area')
    ax.set_ylabel('views')
    ax.set_title(f'{int(found.sum())} boxes, {int((~found).sum())} fallbacks')
    fig.tight_layout()
    fig.savefig(osp.join(args.out_dir, 'box_area_hist.png'), dpi=110)
    summary = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        image_dir=args.image_dir,
        images=chosen,
        views=len(views),
        seed=args.seed,
        mean_box_area=float(area.mean()),
        median_box_area=float(area.median()),
        fallback_rate=float(1 - found.float().mean()))
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print(f"\n{len(views)} views of {len(chosen)} images: mean box area "
          f"{summary['mean_box_area']:.3f} of the view, fallback rate "
          f"{summary['fallback_rate']:.3f} -> {args.out_dir}")


if __name__ == '__main__':
    main()
