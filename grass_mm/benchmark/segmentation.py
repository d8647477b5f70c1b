"""The paired harness's mmseg step: fine-tune a segmentation config on each arm's backbone.

``matrix.segmentation`` names the ``config`` (an mmseg fine-tuning config of ``configs/
benchmarks/``), the ``arms`` (``'random'``: the shared init), the pretraining ``epoch`` read,
the ``pretrain_seeds`` it runs for and the fine-tuning ``seeds`` (``seed`` for one). With
``fold`` the config is a leave-one-tile-out one (the Dubai tiles) and that tile is held out;
otherwise its own train and validation splits are used, under ``data_root`` when given.
``cfg_options`` are merged last. Each run writes ``seg/<arm>_ep<epoch>_ft<seed>/result.json``:
the last validation's scalars and the whole validation curve.
"""
import json
import os
import os.path as osp
from typing import List

from mmengine.config import Config, ConfigDict

from grass_mm.utils.checkpoint import extract_backbone
from grass_mm.utils.scalars import last_scalars, scalar_curve
from .steps import call, train_command


def finetune_seeds(spec: ConfigDict) -> List[int]:
    """The fine-tuning seeds of a ``segmentation`` spec (``seeds``, or the one ``seed``)."""
    return list(spec.get('seeds', [spec.get('seed', 0)]))


def _datasets(loader: ConfigDict) -> List[ConfigDict]:
    """A loader's dataset and, for a wrapper (``RepeatDataset``), the one it wraps."""
    dataset = loader.dataset
    return [dataset] + ([dataset.dataset] if 'dataset' in dataset else [])


def segmentation_config(spec: ConfigDict, backbone: str, seed: int) -> Config:
    """``spec.config`` on ``backbone``: its fold or data root, the seed and ``cfg_options``."""
    cfg = Config.fromfile(spec.config)
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    if spec.get('fold') is not None:
        tiles = sorted({*cfg.train_dataloader.dataset.tiles, *cfg.val_dataloader.dataset.tiles})
        if spec.fold not in tiles:
            raise ValueError(f'segmentation.fold={spec.fold} is not one of the tiles {tiles}')
        for loader in loaders:
            cfg[loader].dataset.tiles = ([t for t in tiles if t != spec.fold]
                                         if loader == 'train_dataloader' else [spec.fold])
    if spec.get('data_root'):
        for loader in loaders:
            _datasets(cfg[loader])[-1].data_root = osp.abspath(spec.data_root)
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=backbone)
    cfg.randomness = dict(seed=seed)
    cfg.merge_from_dict(spec.get('cfg_options', {}))
    # A checkpoint at every validation, so an interrupted fine-tuning resumes.
    cfg.default_hooks.checkpoint.update(interval=cfg.train_cfg.val_interval, max_keep_ckpts=1)
    return cfg


def segment(plan, spec: ConfigDict, arm: str, seed: int) -> None:
    """Fine-tune ``spec.config`` on ``arm``'s backbone of ``plan`` (a
    :class:`~grass_mm.benchmark.PairedPlan`) at fine-tuning ``seed``; write ``result.json``."""
    epoch = 0 if arm == 'random' else spec.epoch
    wd = osp.join(plan.dir, 'seg', f'{arm}_ep{epoch}_ft{seed}')
    result = osp.join(wd, 'result.json')
    if osp.isfile(result):
        return
    os.makedirs(wd, exist_ok=True)
    backbone = osp.join(wd, 'backbone.pth')
    if not osp.isfile(backbone):
        extract_backbone(plan.init if arm == 'random' else plan.checkpoint(arm, epoch), backbone)
    run_config = osp.join(wd, 'run_config.py')
    segmentation_config(spec, backbone, seed).dump(run_config)
    argv = train_command(run_config, wd, plan.gpus.get('finetune', 1))
    fold = '' if spec.get('fold') is None else f', fold {spec.fold}'
    plan.log(f'seed {plan.seed}: fine-tuning {osp.basename(spec.config)} on {arm} '
             f'(seed {seed}{fold})')
    timing = call(argv, osp.join(wd, 'stdout.log'))
    plan._write_timing(f'seg/{arm}_ep{epoch}_ft{seed}', timing)
    scalars = last_scalars(wd, 'mIoU')
    if scalars is None:
        raise RuntimeError(f'{wd}: the fine-tuning logged no mIoU')
    with open(result + '.tmp', 'w') as f:
        json.dump(
            dict(
                scalars,
                curve=scalar_curve(wd, 'mIoU'),
                config=spec.config,
                fold=spec.get('fold'),
                seed=seed,
                epoch=epoch,
                **timing),
            f,
            indent=1)
    os.replace(result + '.tmp', result)


def run_segmentation(plan, spec: ConfigDict) -> None:
    """Every fine-tuning of ``spec`` for ``plan``'s seed (converting the Dubai tiles first where
    the spec names ``convert_dubai_aerial``)."""
    source = spec.get('convert_dubai_aerial')
    if source and not osp.isdir(osp.join(spec.data_root, 'img_dir', 'all')):
        from grass_mm.datasets import convert_dubai_aerial
        convert_dubai_aerial(source, spec.data_root, all_tiles=True)
    for arm in spec.arms:
        for seed in finetune_seeds(spec):
            segment(plan, spec, arm, seed)
