"""The two protocols ``linear_probe.py`` runs through :class:`~.dense_probe.DenseProbe`:
leave-one-tile-out on the Dubai tiles (every tile held out in turn, with image-subset fits) and
one held-out split of an mmseg dataset config. Images are normalised by the pretraining config's
own ``data_preprocessor``."""
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from mmengine.config import Config

from .dense_probe import DenseProbe
from .features import build_backbone, config_normalise
from .readouts import scores
from .splits import load_split
from .tables import held_out_table, mean_std


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


def probe_fold_backbone(probe: DenseProbe, backbone: torch.nn.Module, normalise: Callable,
                        args: FoldSettings) -> dict:
    """Every fold's linear (and image-subset) and k-NN scores of one backbone."""
    start = time.time()
    feats = probe.features(backbone, normalise)
    feature_s = time.time() - start
    tiles = probe.groups
    folds = {}
    fractions = sorted(set(args.fractions) - {1.0})
    for fold in args.folds:
        train, test = np.flatnonzero(tiles != fold), np.flatnonzero(tiles == fold)
        conf, train_pixels = probe.linear(feats, train, test, args.seed + fold)
        subsets = {}
        for fraction in fractions:
            # The same images for every backbone: the subset depends on the fold and seed only.
            rng = np.random.default_rng(args.subset_seed * 1000 + fold)
            count = max(1, int(round(fraction * len(train))))
            subset = np.sort(rng.choice(train, count, replace=False))
            sub_conf, _ = probe.linear(feats, subset, test, args.seed + fold)
            subsets[str(fraction)] = dict(
                scores(sub_conf), images=[int(i) for i in subset], confusion=sub_conf.tolist())
        knn_conf = probe.knn(feats, fold)
        knn = scores(knn_conf)
        folds[str(fold)] = dict(
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
                split: dict,
                settings: FoldSettings,
                patch: int = 32,
                min_purity: float = 0.6,
                log: Callable[[str], None] = print) -> dict:
    """The floor and every backbone's folds: ``linear_probe.py``'s ``probe.json``.

    Args:
        cfg: The pretraining config (its backbone and ``data_preprocessor``).
        sources: ``'random'``, exported backbones or training checkpoints.
        names: One table name per source.
        split: The tiles, each image's tile in ``groups`` (:func:`~.splits.load_split` of
            ``dict(type='DubaiAerialTiles', ...)``).
        settings: The folds and read-out settings.
        patch: k-NN window side. min_purity: Share of a window its class covers.
        log: Where each backbone's summary line goes.

    Raises:
        ValueError: A source that is not a checkpoint or does not fit the backbone (named).
    """
    # Every image's maps are kept for all folds: float16 halves that memory.
    probe = DenseProbe(
        split,
        settings.stages,
        settings.pixels_per_class,
        patch,
        min_purity,
        settings.k,
        max_windows=None,
        seed=settings.seed,
        dtype=torch.float16)
    normalise = config_normalise(cfg)
    result = dict(floor={str(f): probe.floor(f) for f in settings.folds}, backbones=[])
    for name, source in zip(names, sources):
        backbone = build_backbone(cfg, source, settings.seed)
        probed = probe_fold_backbone(probe, backbone, normalise, settings)
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
        **probe_args: :class:`~.dense_probe.DenseProbe`'s settings.

    Returns:
        ``(result, markdown table)``.

    Raises:
        ValueError: An empty split, labels outside the classes, or a source that does not fit.
    """
    train, test = (
        load_split(seg[f'{s}_dataloader'].dataset, scale, max_images) for s in ('train', 'val'))
    probe = DenseProbe.held_out(train, test, seed=seed, **probe_args)
    normalise = config_normalise(cfg)
    floor = probe.floor()
    result = dict(
        classes=train['classes'], floor=dict(mIoU=floor['mIoU'], aAcc=floor['aAcc']), backbones=[])
    for name, source in zip(names, sources):
        backbone = build_backbone(cfg, source, seed)
        result['backbones'].append(
            dict(name=name, source=source, **probe.evaluate(backbone, normalise)))
    return result, held_out_table(result)
