"""Sampling purity: do GraSS's gradient boxes hold one ground object more than random boxes?

Labelled images (mmseg layout: label maps are index PNGs with the image's file stem) are cut
into two views each, as a pretraining step does: a random resized crop with the config's view
size and area range, and a horizontal flip, applied to image and label alike (no colour
augmentation: it does not move boxes). Each batch of views goes through the model's own GS
sampling (``GraSS.sample``: guide pass → ``select_regions`` → crop path) in train mode, as in a
training step. For each view where a region was found:

- ``purity_gs``: the majority class's share of the labelled pixels in the gradient box;
- ``purity_random``: the same for ``draws`` boxes of the same width and height placed at random
  in the same view (their mean);
- ``purity_whole``: the same for the whole view.

:func:`sampling_purity` writes ``OUT/summary.json`` (means, ``single_object_share``: GS boxes
with purity >= 0.9, and ``gs_minus_random``: mean and 95 % bootstrap interval over views) and
``OUT/purity.png``. Without a checkpoint the model is at random init: the null case, where the
difference should be near 0. :func:`screen` replaces the model's sampler by candidate guides
(:mod:`grass_mm.evaluation.guides`), each read at every threshold on the same views, and writes
``OUT/screen.json``. The command line is ``python -m grass_mm.cli.sampling_purity``.
"""
import json
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

from grass_mm.evaluation.guides import screen_guides
from grass_mm.evaluation.purity import find_transform, labelled_pairs, measure_purity


def purity_model(config: str, checkpoint: Optional[str],
                 seed: int) -> Tuple[torch.nn.Module, int, tuple]:
    """The GS model of ``config`` (``checkpoint``'s weights, else its init from ``seed``) and
    the view size and area range of its training crop.

    Raises:
        ValueError: No ``RandomResizedCrop`` in the training pipeline, or not a GS model (both
            naming the config).
        RuntimeError: The checkpoint cannot be read (named).
    """
    cfg = Config.fromfile(config)
    # The oracle configs cut their views with LabelledRandomResizedCrop (the same crop rule).
    crops = ('RandomResizedCrop', 'LabelledRandomResizedCrop')
    crop = find_transform(cfg.get('train_dataloader', {}), crops) or \
        find_transform(cfg.get('train_pipeline', []), crops)
    if crop is None:
        raise ValueError(f'{config}: no RandomResizedCrop in its training pipeline')
    size, area = int(crop['scale']), tuple(crop.get('crop_ratio_range', (0.08, 1.0)))
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    if not hasattr(model, 'sample'):
        raise ValueError(f'{config}: model.type={cfg.model.type} is not GraSS')
    model.init_weights()
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model, size, area


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


def _refuse_existing(path: str) -> None:
    if osp.exists(path):
        raise FileExistsError(f'{path} exists; choose another output folder (nothing is '
                              'overwritten)')


def sampling_purity(config: str,
                    checkpoint: Optional[str],
                    img_dir: str,
                    ann_dir: str,
                    out_dir: str,
                    num_images: int = 128,
                    batch: int = 32,
                    draws: int = 8,
                    ignore_labels: Sequence[int] = (255, ),
                    seed: int = 0,
                    log: Callable[[str], None] = print) -> dict:
    """Measure the purity of the model's own boxes; write ``summary.json`` and ``purity.png``
    into ``out_dir`` and return the summary.

    Raises:
        FileExistsError: ``out_dir`` holds a summary.
        FileNotFoundError, ValueError: Missing or unusable images, labels or config (named).
    """
    _refuse_existing(osp.join(out_dir, 'summary.json'))
    model, size, area = purity_model(config, checkpoint, seed)
    pairs = labelled_pairs(img_dir, ann_dir)
    summary, arrays = measure_purity(model, pairs, size, area, num_images, batch, draws,
                                     list(ignore_labels), seed, log)
    summary = dict(config=config, checkpoint=checkpoint, img_dir=img_dir, seed=seed, **summary)
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    plot(arrays, summary, osp.join(out_dir, 'purity.png'))
    return summary


def screen(config: str,
           checkpoint: Optional[str],
           img_dir: str,
           ann_dir: str,
           out_dir: str,
           guides: Sequence[str],
           thresholds: Sequence[float] = (0.5, ),
           num_images: int = 128,
           batch: int = 32,
           draws: int = 8,
           ignore_labels: Sequence[int] = (255, ),
           seed: int = 0,
           log: Callable[[str], None] = print) -> List[dict]:
    """Screen candidate guides in place of the model's sampler; write ``screen.json`` into
    ``out_dir`` and return its rows (one per guide and threshold).

    Raises:
        FileExistsError: ``out_dir`` holds a screen.
        FileNotFoundError, ValueError: Missing or unusable images, labels or config (named).
    """
    _refuse_existing(osp.join(out_dir, 'screen.json'))
    model, size, area = purity_model(config, checkpoint, seed)
    rows = screen_guides(model, labelled_pairs(img_dir, ann_dir), size, area, list(guides),
                         list(thresholds), num_images, batch, draws, list(ignore_labels), seed, log)
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'screen.json'), 'w') as f:
        json.dump(dict(config=config, checkpoint=checkpoint, seed=seed, rows=rows), f, indent=1)
    return rows
