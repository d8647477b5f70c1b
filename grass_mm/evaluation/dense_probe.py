"""Dense read-outs of frozen backbones: the stage-wise linear probe, the k-NN window probe and
the majority floor, fold by fold (``tools/analysis_tools/linear_probe.py`` is their front door).
Images are normalised by the pretraining config's own ``data_preprocessor``.
"""
import time
from dataclasses import dataclass, field
from typing import Callable, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from grass_mm.datasets import DUBAI_EVAL_CLASSES
from grass_mm.datasets.probe_patches import dominant_windows
from grass_mm.utils.checkpoint import load_backbone_state
from .held_out_probe import DenseProbe, load_split, normalise_with
from .probe_tables import held_out_table, mean_std
from .probes import (balanced_indices, confusion_matrix, fit_linear_probe, knn_predict,
                     majority_floor, pooled_embeddings, scores)

STRIDE = 8


@dataclass
class FoldSettings:
    """The fold probe's settings (``linear_probe.py``'s options of the same names).

    Args:
        folds: Held-out tiles, one fold each.
        stages: ResNet stages of the linear read-out.
        pixels_per_class: Linear-probe training pixels per class per fold.
        k: k-NN neighbours.
        seed: Seed of the pixel draw (plus the fold).
        fractions: Shares of each fold's training images also fitted on (1.0 always runs).
        subset_seed: Seed of the ``fractions`` image subsets.
    """
    folds: Sequence[int]
    stages: Sequence[int] = (2, 3, 4)
    pixels_per_class: int = 10000
    k: int = 20
    seed: int = 0
    fractions: Sequence[float] = field(default_factory=lambda: [1.0])
    subset_seed: int = 0


def config_normalise(cfg: Config) -> Callable[[torch.Tensor], torch.Tensor]:
    """The normalisation of ``cfg``'s model: its ``data_preprocessor``, built."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return normalise_with(MODELS.build(cfg.model.data_preprocessor))


def build_backbone(cfg: Config, source: str, seed: int,
                   stages: Sequence[int] = (2, 3, 4)) -> torch.nn.Module:
    """The config's backbone with ``stages`` (and stage 4, for k-NN) as outputs, random (seeded)
    or loaded.

    Raises:
        ValueError: ``source`` is not a checkpoint, or does not fit the backbone (both named).
    """
    out = sorted({*stages, 4})
    backbone_cfg = dict(cfg.model.backbone, out_indices=tuple(s - 1 for s in out))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        torch.manual_seed(seed)
        backbone = MODELS.build(backbone_cfg)
    if source == 'random':
        backbone.init_weights()  # the config's own initialisation (one rule for every arm)
        backbone.eval()  # (mmpretrain's ResNet.train returns None)
        return backbone
    state = load_backbone_state(source)
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    unexpected = [k for k in unexpected if not k.startswith('fc.')]
    if missing or unexpected:
        raise ValueError(f'{source}: does not fit the backbone of {cfg.filename} '
                         f'(missing {missing[:3]}, unexpected {unexpected[:3]})')
    backbone.eval()
    return backbone


@torch.no_grad()
def dense_features(backbone: torch.nn.Module,
                   images: list,
                   normalise: Callable,
                   stages: Sequence[int] = (2, 3, 4)) -> list:
    """``stages`` upsampled to stride 8 and concatenated: one ``[C, h, w]`` fp16 per image."""
    feats = []
    out = sorted({*stages, 4})
    for image in images:
        x = normalise(torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None])
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


def pure_windows(samples: list, patch: int, min_purity: float = 0.75):
    """Non-overlapping windows one class covers ``min_purity`` of: images, labels, tiles."""
    images, labels, tiles = [], [], []
    for s in samples:
        for y, x, label in dominant_windows(s['label'], patch, min_purity):
            images.append(s['img'][y:y + patch, x:x + patch])
            labels.append(label)
            tiles.append(s['tile'])
    return np.stack(images), torch.tensor(labels), np.array(tiles)


@torch.no_grad()
def patch_embeddings(backbone, patches: np.ndarray,
                     normalise: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    return pooled_embeddings(backbone, normalise(torch.from_numpy(patches).permute(0, 3, 1, 2)))


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
            logits[None], size=samples[i]['label'].shape, mode='bilinear', align_corners=False)[0]
        conf += confusion_matrix(up.argmax(0), torch.from_numpy(samples[i]['label']), num_classes)
    return conf, int(len(keep))


def probe_backbone(backbone, samples: List[dict], patches: tuple, args: FoldSettings,
                   normalise: Callable[[torch.Tensor], torch.Tensor]) -> dict:
    """Every fold's linear and k-NN scores of one backbone."""
    start = time.time()
    feats = dense_features(backbone, [s['img'] for s in samples], normalise, args.stages)
    grids = [grid_labels(s['label'], f.shape[-2:]) for s, f in zip(samples, feats)]
    embed = patch_embeddings(backbone, patches[0], normalise)
    feature_s = time.time() - start
    num_classes = len(DUBAI_EVAL_CLASSES)
    tiles = np.array([s['tile'] for s in samples])
    folds = {}
    fractions = sorted(set(args.fractions) - {1.0})
    for fold in args.folds:
        train = np.flatnonzero(tiles != fold)
        conf, train_pixels = linear_fold(feats, grids, samples, train, tiles == fold,
                                         args.pixels_per_class, args.seed + fold)
        subsets = {}
        for fraction in fractions:
            # The same images for every backbone: the subset depends on the fold and seed only.
            rng = np.random.default_rng(args.subset_seed * 1000 + fold)
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


def probe_folds(cfg: Config,
                sources: Sequence[str],
                names: Sequence[str],
                samples: List[dict],
                settings: FoldSettings,
                patch: int = 32,
                min_purity: float = 0.6,
                log: Callable[[str], None] = print) -> dict:
    """The floor and every backbone's folds: ``linear_probe.py``'s ``probe.json``.

    Args:
        cfg: The pretraining config (its backbone and ``data_preprocessor``).
        sources: ``'random'``, exported backbones or training checkpoints.
        names: One table name per source.
        samples: The tiles (:func:`~grass_mm.datasets.load_dubai_tiles`).
        settings: The folds and read-out settings.
        patch: k-NN window side. min_purity: Share of a window its class covers.
        log: Where each backbone's summary line goes.

    Raises:
        ValueError: A source that is not a checkpoint or does not fit the backbone (named).
    """
    patches = pure_windows(samples, patch, min_purity)
    normalise = config_normalise(cfg)
    result = dict(
        floor={
            str(k): v
            for k, v in floors(samples, settings.folds).items()
        }, backbones=[])
    for name, source in zip(names, sources):
        backbone = build_backbone(cfg, source, settings.seed, settings.stages)
        probed = probe_backbone(backbone, samples, patches, settings, normalise)
        probed['folds'] = {str(k): v for k, v in probed['folds'].items()}
        result['backbones'].append(dict(name=name, source=source, **probed))
        lin = [f['linear']['mIoU'] for f in probed['folds'].values()]
        knn = [f['knn']['mAcc'] for f in probed['folds'].values()]
        log(f'{name}: linear mIoU {mean_std(lin)}, k-NN mAcc {mean_std(knn)} '
            f"({probed['feature_s']:.0f} s features, {probed['total_s']:.0f} s in all)")
    return result


def probe_held_out(cfg: Config,
                   seg: Config,
                   sources: Sequence[str],
                   names: Sequence[str],
                   scale: float = 0.5,
                   max_images: int = None,
                   seed: int = 0,
                   **probe_args) -> tuple:
    """The held-out probe on an mmseg config's train and val datasets.

    Args:
        cfg: The pretraining config (its backbone and ``data_preprocessor``).
        seg: An mmseg config; its ``train_dataloader`` and ``val_dataloader`` datasets are the
            training and held-out splits.
        sources: ``'random'``, exported backbones or training checkpoints.
        names: One table name per source.
        scale: One resize factor. max_images: Images read per split.
        seed: Random init and pixel draw.
        **probe_args: :class:`~grass_mm.evaluation.held_out_probe.DenseProbe`'s settings.

    Returns:
        ``(result, markdown table)``.

    Raises:
        ValueError: An empty split, labels outside the classes, or a source that does not fit.
    """
    train, test = (
        load_split(seg[f'{s}_dataloader'].dataset, scale, max_images) for s in ('train', 'val'))
    probe = DenseProbe(train, test, seed=seed, **probe_args)
    normalise = config_normalise(cfg)
    result = dict(classes=train['classes'], floor=probe.floor(), backbones=[])
    for name, source in zip(names, sources):
        backbone = build_backbone(cfg, source, seed, probe_args.get('stages', (4, )))
        result['backbones'].append(
            dict(name=name, source=source, **probe.evaluate(backbone, normalise)))
    return result, held_out_table(result)


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
