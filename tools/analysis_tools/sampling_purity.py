"""Sampling purity: do GraSS's gradient boxes hold one ground object more than random boxes?

    python tools/analysis_tools/sampling_purity.py CONFIG [--checkpoint CKPT] --img-dir DIR
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
"""
import argparse
import json
import os
import os.path as osp

import cv2
import matplotlib
import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.evaluation.purity import bootstrap_mean, box_purity, random_boxes_like
from grass_mm.utils.cli import existing_config, existing_dir, existing_file

matplotlib.use('Agg')
import matplotlib.pyplot as plt

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.tif', '.tiff')


def parse_args(argv=None) -> argparse.Namespace:
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
    args = parser.parse_args(argv)
    if args.batch < 2:
        parser.error('--batch must be >= 2 (the contrastive loss needs negatives)')
    return args


def find_transform(node, name: str):
    """The first transform of type ``name`` anywhere in a config node."""
    if isinstance(node, dict):
        if node.get('type') == name:
            return node
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for child in node:
            found = find_transform(child, name)
            if found is not None:
                return found
    return None


def labelled_pairs(img_dir: str, ann_dir: str) -> list:
    labels = {osp.splitext(f)[0]: f for f in os.listdir(ann_dir)}
    pairs = []
    for name in sorted(os.listdir(img_dir)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMAGE_EXTS:
            if stem not in labels:
                raise SystemExit(f'{osp.join(img_dir, name)}: no label map {stem}.* in {ann_dir}')
            pairs.append((osp.join(img_dir, name), osp.join(ann_dir, labels[stem])))
    if len(pairs) < 2:
        raise SystemExit(f'{img_dir}: need at least 2 labelled images, found {len(pairs)}')
    return pairs


def make_view(image: np.ndarray, label: np.ndarray, size: int, area: tuple,
              rng: np.random.Generator):
    """A random resized crop (torchvision's rule, ratio 3/4-4/3) and flip of image and label."""
    height, width = label.shape
    for _ in range(10):
        target = rng.uniform(*area) * height * width
        ratio = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        w, h = int(round(np.sqrt(target * ratio))), int(round(np.sqrt(target / ratio)))
        if 0 < w <= width and 0 < h <= height:
            break
    else:
        w, h = min(width, height), min(width, height)
    y, x = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
    img = cv2.resize(image[y:y + h, x:x + w], (size, size), interpolation=cv2.INTER_LINEAR)
    lab = cv2.resize(label[y:y + h, x:x + w], (size, size), interpolation=cv2.INTER_NEAREST)
    if rng.random() < 0.5:
        img, lab = img[:, ::-1], lab[:, ::-1]
    return img, lab


def main(argv=None) -> None:
    args = parse_args(argv)
    if osp.exists(osp.join(args.out_dir, 'summary.json')):
        raise SystemExit(f'{args.out_dir}/summary.json exists; choose another --out-dir '
                         '(nothing is overwritten)')
    MMLogger.get_instance('mmengine').setLevel('WARNING')  # no init_weights reports
    cfg = Config.fromfile(args.config)
    crop = find_transform(cfg.get('train_dataloader', {}), 'RandomResizedCrop') or \
        find_transform(cfg.get('train_pipeline', []), 'RandomResizedCrop')
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
    model.train()  # as in a training step (BN batch statistics)
    pre = model.data_preprocessor
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    pairs = labelled_pairs(args.img_dir, args.ann_dir)
    chosen = rng.choice(len(pairs), args.num_images, replace=args.num_images > len(pairs))
    ignore = torch.tensor(args.ignore_labels)
    records = dict(gs=[], random=[], whole=[], area=[], found=[])
    for start in range(0, len(chosen), args.batch):
        batch = chosen[start:start + args.batch]
        if len(batch) < 2:
            break
        images, labels = [], []
        for index in batch:
            image = mmcv.imread(pairs[index][0], flag='color')
            label = mmcv.imread(pairs[index][1], flag='unchanged')
            if label is None or label.ndim != 2 or label.shape != image.shape[:2]:
                raise SystemExit(f'{pairs[index][1]}: expected a {image.shape[:2]} '
                                 'single-channel label map')
            for _ in range(2):  # two views per image, in SimCLR's interleaved order
                img, lab = make_view(image, label, size, area, rng)
                images.append(np.ascontiguousarray(img))
                labels.append(np.ascontiguousarray(lab))
        x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
        x = x.flip(1) if getattr(pre, '_channel_conversion', False) else x
        views = (x - pre.mean.cpu()) / pre.std.cpu()  # [2B, C, H, W]
        target = torch.from_numpy(np.stack(labels)).long()  # [2B, H, W]
        target[torch.isin(target, ignore)] = 255
        sampled = model.sample(views)
        boxes, found = sampled.boxes.cpu(), sampled.found.cpu()
        whole = torch.tensor([[0, 0, size, size]]).expand(len(boxes), 4)
        records['gs'].append(box_purity(target, boxes))
        records['random'].append(
            box_purity(target, random_boxes_like(boxes, (size, size), args.draws, gen)))
        records['whole'].append(box_purity(target, whole))
        records['area'].append(
            ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])) / size**2)
        records['found'].append(found)
        print(f'{min(start + args.batch, len(chosen))}/{len(chosen)} images', flush=True)

    gs = torch.cat(records['gs']).numpy()
    rand = torch.cat(records['random']).numpy()  # [V, draws]
    whole = torch.cat(records['whole']).numpy()
    found = torch.cat(records['found']).numpy()
    area = torch.cat(records['area']).numpy()
    use = found & ~np.isnan(gs) & ~np.isnan(rand).all(1)
    rand_mean = np.nanmean(rand[use], axis=1)
    summary = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        img_dir=args.img_dir,
        seed=args.seed,
        views=int(len(gs)),
        views_used=int(use.sum()),
        found_share=float(found.mean()),
        mean_box_area=float(area[found].mean()) if found.any() else None,
        purity_gs=float(gs[use].mean()),
        purity_random=float(rand_mean.mean()),
        purity_whole=float(np.nanmean(whole[use])),
        single_object_share=float((gs[use] >= 0.9).mean()),
        single_object_share_random=float((rand[use] >= 0.9).mean()),
        gs_minus_random=bootstrap_mean(gs[use] - rand_mean, seed=args.seed))
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
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
    fig.savefig(osp.join(args.out_dir, 'purity.png'), dpi=110)
    print(
        json.dumps({
            k: summary[k]
            for k in ('views_used', 'purity_gs', 'purity_random', 'purity_whole',
                      'single_object_share', 'gs_minus_random')
        }))


if __name__ == '__main__':
    main()
