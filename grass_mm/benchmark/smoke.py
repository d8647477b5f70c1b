"""A paired matrix shrunk to a smoke run on one labelled crop (``smoke_paired.py``).

Every warm-up and arm config is copied into the smoke's folder at a tiny schedule (2 epochs of 2
steps, GS from the second, 64 px views) reading 256 px patches cut from the crop; the probes,
purity and the fine-tuning read the crop as both splits. The figures mean nothing: the run checks
that every config, step and table of a preset works before its real run.
"""
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

from grass_mm.datasets.patches import cut_patches, find_images
from grass_mm.utils import update_transforms
from grass_mm.utils.config import find_hook
from .matrix import warmups

LOADER = dict(num_workers=0, persistent_workers=False)


def link_splits(crop: str, data: str) -> None:
    """``crop``'s images and labels as both the train and the val split of ``data``."""
    names = sorted(
        f for f in os.listdir(osp.join(crop, 'img_dir'))
        if osp.isfile(osp.join(crop, 'ann_dir', f)))
    if not names:
        raise FileNotFoundError(f'{crop}: no image in img_dir/ with a label of the same name in '
                                'ann_dir/ (expected mmseg\'s layout, files flat in both)')
    for kind in ('img_dir', 'ann_dir'):
        for split in ('train', 'val'):
            os.makedirs(osp.join(data, kind, split), exist_ok=True)
            for name in names:
                link = osp.join(data, kind, split, name)
                if not osp.lexists(link):
                    os.symlink(osp.abspath(osp.join(crop, kind, name)), link)


def short_pretraining(config: str, patches: str, out: str) -> str:
    """``config`` at the smoke schedule on ``patches``, GS switching after epoch 1, without the
    online probe (it has its own tests); written to ``out``."""
    cfg = Config.fromfile(config)
    cfg.train_dataloader.update(batch_size=2, **LOADER)
    cfg.train_dataloader.dataset.update(data_root=patches, indices=4)  # 2 steps an epoch
    update_transforms(cfg.train_dataloader.dataset.pipeline, 'RandomResizedCrop', scale=64)
    cfg.train_cfg.max_epochs = 2
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'DenseProbeHook']
    for hook, settings in ((find_hook(cfg), dict(warmup_epochs=1)),
                           (find_hook(cfg, 'GraSSVisualizationHook'), dict(interval=1))):
        if hook is not None:  # the switch after epoch 1; a picture of every step's sampling
            hook.update(settings)
    cfg.dump(out)
    return out


def short_finetuning(config: str, data: str, out: str) -> str:
    """``config`` for 2 iterations of 256 px crops on ``data``, validated on its whole images."""
    cfg = Config.fromfile(config)
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(LOADER)
        dataset = loader.dataset.get('dataset', loader.dataset)
        dataset.update(data_root=data)
    cfg.train_dataloader.batch_size = 2
    update_transforms(cfg.train_dataloader.dataset.pipeline, 'RandomCrop', crop_size=(256, 256))
    cfg.model.data_preprocessor.size = (256, 256)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg.default_hooks.logger.interval = 1
    cfg.dump(out)
    return out


def smoke_paired(matrix: Config,
                 crop: str,
                 work_dir: str,
                 arms: Optional[List[str]] = None) -> Config:
    """``matrix`` at the smoke schedule on ``crop``, pretraining seed 0, under ``work_dir``.

    Args:
        matrix: A paired matrix.
        crop: A labelled crop in mmseg's layout (``img_dir/``, ``ann_dir/``).
        work_dir: Where the data links, patches, configs, runs and record go.
        arms: Only these arms (default: all); the warm-ups they continue always run.

    Returns:
        The smoke matrix (``work_dir/matrix.py`` holds it too).
    """
    data = osp.join(work_dir, 'data')
    link_splits(crop, data)
    patches = osp.join(data, 'pretrain_patches')
    if not osp.isdir(patches):
        cut_patches(find_images(osp.join(crop, 'img_dir')), patches, patch_size=256)
    folder = osp.join(work_dir, 'configs')
    os.makedirs(folder, exist_ok=True)
    arms = [a for a in matrix.arms if arms is None or a in arms]
    keep = {matrix.arms[a].get('warmup', next(iter(warmups(matrix)))) for a in arms}
    short = {}
    for spec in [*warmups(matrix).values(), *(matrix.arms[a] for a in arms)]:
        if spec.config not in short:
            short[spec.config] = short_pretraining(spec.config, patches,
                                                   osp.join(folder, f'pretrain_{len(short)}.py'))
    smoke = matrix.to_dict()
    smoke.pop('warmup', None)
    smoke.update(
        work_dir=osp.join(work_dir, 'work'),
        record_dir=osp.join(work_dir, 'record'),
        pretrain_seeds=[0],
        warmups={
            n: dict(w, config=short[w.config], epochs=1)
            for n, w in warmups(matrix).items() if n in keep
        },
        arms={a: dict(matrix.arms[a], config=short[matrix.arms[a].config])
              for a in arms},
        checkpoint_interval=1,
        probe_epochs=[1, 2],
        gpus={})  # one process a step: the smoke checks configs, not launchers
    seg = matrix.get('segmentation')
    if seg:
        finetune = short_finetuning(seg.config, data, osp.join(folder, 'finetune.py'))
        gs = [a for a in arms if matrix.get('purity') and a in matrix.purity.arms][:1]
        smoke['segmentation'] = dict(
            seg, config=finetune, arms=['random'] + gs, pretrain_seeds=[0], epoch=2, seeds=[0])
    probe = matrix.probe
    if probe.get('dataset_config'):
        smoke['probe'] = dict(
            probe,
            dataset_config=short_finetuning(probe.dataset_config, data,
                                            osp.join(folder, 'probe.py')),
            max_images=None,
            extra_args=['--pixels-per-class', '200'])
    if matrix.get('purity'):
        smoke['purity'] = dict(
            matrix.purity,
            arms=[a for a in matrix.purity.arms if a in arms],
            epochs=[1, 2],
            img_dir=osp.join(data, 'img_dir', 'val'),
            ann_dir=osp.join(data, 'ann_dir', 'val'),
            num_images=2)
    smoke = Config(smoke)
    smoke.dump(osp.join(work_dir, 'matrix.py'))
    return smoke
