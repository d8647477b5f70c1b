"""Linear segmentation probe and k-NN patch probe of frozen backbones, leave-one-tile-out.

    python tools/analysis_tools/linear_probe.py BACKBONE [BACKBONE ...] --out-dir OUT
        [--names NAME ...] [--data-root DIR] [--config CFG] [--folds 1 2 ...] [--seed 0]

BACKBONE is ``random`` (the config's backbone, initialised by its own ``init_weights`` from
``--seed``), an exported backbone file (``tools/model_converters/extract_backbone.py``) or a full
training checkpoint (its ``backbone.*`` tensors). The protocol (docs/en/benchmark_v2.md):

- the Dubai tiles 1-7, every image resized by one factor (0.5), 5 classes ('unlabeled' ignored);
- features of ``--stages`` (default 2-4) upsampled to stride 8 and concatenated, computed once
  per backbone (BN in eval mode, no gradient) and reused by every fold;
- 7 folds, each tile the test set once: a linear classifier per fold, trained to convergence
  (full-batch L-BFGS, class-weighted) on up to ``--pixels-per-class`` pixels of each class of the
  other tiles; logits upsampled to the label map; mIoU / aAcc on the held-out tile;
- the k-NN patch probe: ``--patch`` px windows one class covers >= ``--min-purity`` of, embedded
  by the backbone (pooled last stage); the bank is the training tiles', the queries the
  held-out tile's (no image of a query tile is in the bank); mean class accuracy and top-1;
- the floor: the training tiles' majority class predicted everywhere on the held-out tile.

Writes ``OUT/probe.json`` (every fold, every score) and ``OUT/probe.md`` (the fold table: the
floor, each backbone, paired differences against the first backbone; runs that do not beat the
floor's aAcc or mIoU are marked; "pooled" scores the confusion summed over the folds, where every
pixel and patch is tested once). Deterministic for a seed.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader
from mmpretrain.registry import MODELS

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.datasets import DUBAI_EVAL_CLASSES, load_dubai_tiles
from grass_mm.evaluation import (balanced_indices, confusion_matrix, fit_linear_probe, knn_predict,
                                 majority_floor, scores)
from grass_mm.utils.cli import existing_config, file_or

DEFAULT_CONFIG = 'configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
STRIDE = 8


def parse_args(argv=None) -> argparse.Namespace:
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
            os.environ.get('GRASS_MM_DATA', osp.join(REPO, '..', 'shared', 'data')),
            'dubai_aerial'),
        help='the Dubai aerial set in its original layout (default: $GRASS_MM_DATA/dubai_aerial)')
    parser.add_argument(
        '--config',
        default=osp.join(REPO, DEFAULT_CONFIG),
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


def build_backbone(cfg: Config, source: str, seed: int,
                   stages: Sequence[int] = (2, 3, 4)) -> torch.nn.Module:
    """The config's backbone with ``stages`` (and stage 4, for k-NN) as outputs, random (seeded)
    or loaded."""
    out = sorted({*stages, 4})
    backbone_cfg = dict(cfg.model.backbone, out_indices=tuple(s - 1 for s in out))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        torch.manual_seed(seed)
        backbone = MODELS.build(backbone_cfg)
    if source == 'random':
        backbone.init_weights()  # the config's own initialisation (one rule for every arm)
        backbone.eval()  # (mmpretrain's ResNet.train returns None)
        return backbone
    try:
        checkpoint = CheckpointLoader.load_checkpoint(source, map_location='cpu')
    except RuntimeError as err:  # names the file: not a checkpoint, truncated, ...
        raise SystemExit(str(err))
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    if any(k.startswith('backbone.') for k in state):
        state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    unexpected = [k for k in unexpected if not k.startswith('fc.')]
    if missing or unexpected:
        raise SystemExit(f'{source}: does not fit the backbone of {cfg.filename} '
                         f'(missing {missing[:3]}, unexpected {unexpected[:3]})')
    backbone.eval()
    return backbone


@torch.no_grad()
def dense_features(backbone: torch.nn.Module,
                   images: list,
                   mean: torch.Tensor,
                   std: torch.Tensor,
                   to_rgb: bool,
                   stages: Sequence[int] = (2, 3, 4)) -> list:
    """``stages`` upsampled to stride 8 and concatenated: one ``[C, h, w]`` fp16 per image."""
    feats = []
    out = sorted({*stages, 4})
    for image in images:
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float()
        x = x.flip(0) if to_rgb else x
        x = ((x - mean) / std)[None]
        outs = [o for s, o in zip(out, backbone(x)) if s in stages]
        size = (-(-x.shape[-2] // STRIDE), -(-x.shape[-1] // STRIDE))  # stride 8, rounded up
        outs = [F.interpolate(o, size=size, mode='bilinear', align_corners=False) for o in outs]
        feats.append(torch.cat(outs, 1)[0].half())
    return feats


def grid_labels(label: np.ndarray, size: tuple) -> torch.Tensor:
    """The label at the centre of each stride-8 cell of a ``size`` feature map."""
    ys = np.minimum(np.arange(size[0]) * STRIDE + STRIDE // 2, label.shape[0] - 1)
    xs = np.minimum(np.arange(size[1]) * STRIDE + STRIDE // 2, label.shape[1] - 1)
    return torch.from_numpy(label[np.ix_(ys, xs)].astype(np.int64))


def cut_patches(samples: list, patch: int, min_purity: float = 0.75):
    """Non-overlapping windows one class covers ``min_purity`` of: images, labels, tiles."""
    images, labels, tiles = [], [], []
    for s in samples:
        h, w = s['label'].shape
        for y in range(0, h - patch + 1, patch):
            for x in range(0, w - patch + 1, patch):
                window = s['label'][y:y + patch, x:x + patch]
                counts = np.bincount(window[window != 255].ravel(), minlength=1)
                if counts.max() >= min_purity * window.size:
                    images.append(s['img'][y:y + patch, x:x + patch])
                    labels.append(int(counts.argmax()))
                    tiles.append(s['tile'])
    return np.stack(images), torch.tensor(labels), np.array(tiles)


@torch.no_grad()
def patch_embeddings(backbone, patches: np.ndarray, mean, std, to_rgb: bool) -> torch.Tensor:
    x = torch.from_numpy(patches).permute(0, 3, 1, 2).float()
    x = x.flip(1) if to_rgb else x
    x = (x - mean) / std
    return torch.cat([backbone(chunk)[-1].mean(dim=(2, 3)) for chunk in x.split(256)])


def linear_fold(feats, grids, samples, train, test, pixels_per_class: int,
                seed: int) -> torch.Tensor:
    """Fit the linear probe on the ``train`` images; its confusion on ``test`` and pixel count."""
    num_classes = len(DUBAI_EVAL_CLASSES)
    x = torch.cat([feats[i].flatten(1).T for i in train])  # [P, C]
    y = torch.cat([grids[i].flatten() for i in train])  # [P]
    keep = balanced_indices(y, pixels_per_class, seed=seed)
    layer = fit_linear_probe(x[keep].float(), y[keep], num_classes)
    conf = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for i in np.flatnonzero(test):
        logits = torch.einsum('kc,chw->khw', layer.weight, feats[i].float())
        logits = logits + layer.bias[:, None, None]
        up = F.interpolate(
            logits[None], size=samples[i]['label'].shape, mode='bilinear',
            align_corners=False)[0]
        conf += confusion_matrix(up.argmax(0), torch.from_numpy(samples[i]['label']), num_classes)
    return conf, int(len(keep))


def probe_backbone(backbone, samples, patches, args, norm) -> dict:
    """Every fold's linear and k-NN scores of one backbone."""
    mean, std, to_rgb = norm
    start = time.time()
    feats = dense_features(backbone, [s['img'] for s in samples], mean, std, to_rgb, args.stages)
    grids = [grid_labels(s['label'], f.shape[-2:]) for s, f in zip(samples, feats)]
    embed = patch_embeddings(backbone, patches[0], mean, std, to_rgb)
    feature_s = time.time() - start
    num_classes = len(DUBAI_EVAL_CLASSES)
    tiles = np.array([s['tile'] for s in samples])
    folds = {}
    fractions = sorted(set(getattr(args, 'fractions', [1.0])) - {1.0})
    for fold in args.folds:
        train = np.flatnonzero(tiles != fold)
        conf, train_pixels = linear_fold(feats, grids, samples, train, tiles == fold, args.pixels_per_class,
                           args.seed + fold)
        subsets = {}
        for fraction in fractions:
            # The same images for every backbone: the subset depends on the fold and seed only.
            rng = np.random.default_rng(getattr(args, 'subset_seed', 0) * 1000 + fold)
            count = max(1, int(round(fraction * len(train))))
            subset = np.sort(rng.choice(train, count, replace=False))
            sub_conf, _ = linear_fold(feats, grids, samples, subset, tiles == fold,
                                   args.pixels_per_class, args.seed + fold)
            subsets[str(fraction)] = dict(
                scores(sub_conf), images=[int(i) for i in subset], confusion=sub_conf.tolist())
        bank = patches[2] != fold
        pred = knn_predict(
            embed[bank], patches[1][bank], embed[~bank], k=args.k, num_classes=num_classes)
        knn_conf = confusion_matrix(pred, patches[1][~bank], num_classes)
        knn = scores(knn_conf)
        folds[fold] = dict(
            linear=scores(conf),
            knn=dict(mAcc=knn['mAcc'], top1=knn['aAcc']),
            linear_fractions=subsets,
            confusion=conf.tolist(),
            knn_confusion=knn_conf.tolist(),
            train_pixels=train_pixels)
    # Every pixel and patch is tested once over the folds: their summed confusion is a
    # steadier score than a mean of folds where a class may have a handful of test pixels.
    pooled = dict(
        linear=scores(sum(torch.tensor(f['confusion']) for f in folds.values())),
        knn=scores(sum(torch.tensor(f['knn_confusion']) for f in folds.values())))
    return dict(
        folds=folds,
        pooled=pooled,
        feature_s=round(feature_s, 1),
        total_s=round(time.time() - start, 1))


def floors(samples, folds) -> dict:
    """The majority-class floor of each fold."""
    num_classes = len(DUBAI_EVAL_CLASSES)
    out = {}
    for fold in folds:
        counts = torch.zeros(num_classes, dtype=torch.long)
        test = torch.zeros(num_classes, num_classes, dtype=torch.long)
        for s in samples:
            label = torch.from_numpy(s['label']).long()
            if s['tile'] == fold:
                test += confusion_matrix(label, label, num_classes)
            else:
                counts += torch.bincount(label[label != 255], minlength=num_classes)
        out[fold] = majority_floor(counts, test)
    return out


def mean_std(values) -> str:
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1) if len(values) > 1 else 0:.2f}'


def fold_table(result: dict) -> str:
    """Markdown: floor, each backbone, paired differences; † marks runs not above the floor."""
    folds = result['settings']['folds']
    head = ('| backbone | read-out | ' + ' | '.join(f'tile {f}' for f in folds) +
            ' | mean ± std | pooled |\n|---|---|' + '---|' * (len(folds) + 2) + '\n')
    rows = []
    floor = result['floor']
    for metric in ('mIoU', 'aAcc'):
        vals = [floor[str(f)][metric] for f in folds]
        rows.append(f'| floor (majority class) | {metric} | ' +
                    ' | '.join(f'{v:.2f}' for v in vals) + f' | {mean_std(vals)} | – |')
    for b in result['backbones']:
        for metric in ('mIoU', 'aAcc'):
            vals, cells = [], []
            for f in folds:
                s = b['folds'][str(f)]['linear']
                below = (s['mIoU'] <= floor[str(f)]['mIoU'] or s['aAcc'] <= floor[str(f)]['aAcc'])
                vals.append(s[metric])
                cells.append(f"{s[metric]:.2f}{'†' if below else ''}")
            rows.append(f"| {b['name']} | linear {metric} | " + ' | '.join(cells) +
                        f" | {mean_std(vals)} | {b['pooled']['linear'][metric]:.2f} |")
        vals = [b['folds'][str(f)]['knn']['mAcc'] for f in folds]
        rows.append(f"| {b['name']} | k-NN mAcc | " + ' | '.join(f'{v:.2f}' for v in vals) +
                    f" | {mean_std(vals)} | {b['pooled']['knn']['mAcc']:.2f} |")
    first = result['backbones'][0]
    for b in result['backbones'][1:]:
        for key, metric in (('linear', 'mIoU'), ('knn', 'mAcc')):
            diff = [
                b['folds'][str(f)][key][metric] - first['folds'][str(f)][key][metric] for f in folds
            ]
            pooled = b['pooled'][key][metric] - first['pooled'][key][metric]
            rows.append(f"| {b['name']} − {first['name']} | {key} {metric} | " +
                        ' | '.join(f'{v:+.2f}'
                                   for v in diff) + f' | {mean_std(diff)} | {pooled:+.2f} |')
    return head + '\n'.join(rows) + '\n'


def main(argv=None) -> None:
    args = parse_args(argv)
    if osp.exists(osp.join(args.out_dir, 'probe.json')):
        raise SystemExit(f'{args.out_dir}/probe.json exists; choose another --out-dir '
                         '(nothing is overwritten)')
    MMLogger.get_instance('mmengine').setLevel('WARNING')  # no init_weights reports
    cfg = Config.fromfile(args.config)
    pre = cfg.model.data_preprocessor
    norm = (torch.tensor(pre['mean']).view(-1, 1, 1), torch.tensor(pre['std']).view(-1, 1, 1),
            bool(pre.get('to_rgb', pre.get('bgr_to_rgb', False))))
    start = time.time()
    try:
        samples = load_dubai_tiles(args.data_root, tiles=args.tiles, scale=args.scale)
    except FileNotFoundError as e:
        raise SystemExit(f'--data-root: {e}')
    patches = cut_patches(samples, args.patch, args.min_purity)
    print(f'{len(samples)} images, {len(patches[1])} k-NN patches '
          f'({time.time() - start:.0f} s to read)')
    names = args.names or [
        'random' if p == 'random' else osp.splitext(osp.basename(p))[0] for p in args.backbones
    ]
    result = dict(
        settings=dict(vars(args), classes=list(DUBAI_EVAL_CLASSES)),
        floor={
            str(k): v
            for k, v in floors(samples, args.folds).items()
        },
        backbones=[])
    for name, source in zip(names, args.backbones):
        backbone = build_backbone(cfg, source, args.seed, args.stages)
        probed = probe_backbone(backbone, samples, patches, args, norm)
        probed['folds'] = {str(k): v for k, v in probed['folds'].items()}
        result['backbones'].append(dict(name=name, source=source, **probed))
        lin = [f['linear']['mIoU'] for f in probed['folds'].values()]
        knn = [f['knn']['mAcc'] for f in probed['folds'].values()]
        print(f'{name}: linear mIoU {mean_std(lin)}, k-NN mAcc {mean_std(knn)} '
              f"({probed['feature_s']:.0f} s features, {probed['total_s']:.0f} s in all)")
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'probe.json'), 'w') as f:
        json.dump(result, f, indent=1)
    table = fold_table(result)
    with open(osp.join(args.out_dir, 'probe.md'), 'w') as f:
        f.write(table)
    print(table)


if __name__ == '__main__':
    main()
