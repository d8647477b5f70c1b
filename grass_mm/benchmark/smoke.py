"""A benchmark matrix shrunk to a smoke run on one labelled crop (smoke_matrix.py)."""
import os
import os.path as osp
from typing import Union

from mmengine.config import Config

from grass_mm.datasets.patches import cut_patches, find_images

LOADER = dict(num_workers=0, persistent_workers=False)
# 4 patches in batches of 2: two steps an epoch, whatever the crop's size.
PRETRAIN = {
    'train_dataloader.dataset.indices': 4,
    'train_dataloader.batch_size': 2,
    'train_cfg.max_epochs': 2,
    'default_hooks.checkpoint.interval': 1,
    'default_hooks.logger.interval': 1,
    **{
        f'train_dataloader.{k}': v
        for k, v in LOADER.items()
    }
}
FINETUNE = {
    'train_cfg.max_iters': 2,
    'train_cfg.val_interval': 2,
    'train_dataloader.batch_size': 2,
    'default_hooks.checkpoint.interval': 2,
    'default_hooks.logger.interval': 1,
    **{
        f'{loader}.{k}': v
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        for k, v in LOADER.items()
    }
}


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


def short_warmup(spec: Union[None, str, dict]) -> Union[None, str, dict]:
    """A method's pretraining spec with its GraSS warm-up cut to at most one epoch (a warm-up
    longer than the 2-epoch smoke schedule is an error, and one epoch leaves one for GS) and
    without the online probe (the smoke checks the pipeline; the probe has its own tests)."""
    if spec is None:
        return None
    spec = dict(config=spec) if isinstance(spec, str) else dict(spec)
    cfg = Config.fromfile(spec['config'])
    cfg.merge_from_dict(spec.get('cfg_options', {}))
    every = [dict(h) for h in cfg.get('custom_hooks', [])]
    hooks = [h for h in every if h['type'] != 'DenseProbeHook']
    if len(hooks) == len(every) and not any(h['type'] == 'GraSSStageHook' for h in hooks):
        return spec
    for hook in hooks:
        if hook['type'] == 'GraSSStageHook':  # one epoch is 2 steps here
            for key, most in (('warmup_epochs', 1), ('warmup_iters', 2)):
                if hook.get(key) is not None:
                    hook[key] = min(hook[key], most)
        elif hook['type'] == 'GraSSVisualizationHook':
            hook['interval'] = 1  # draw the sampling of every step
    return dict(spec, cfg_options=dict(spec.get('cfg_options', {}), custom_hooks=hooks))


def smoke_matrix(matrix: Config, crop: str, work_dir: str) -> Config:
    """The matrix at the smoke schedule on ``crop`` (linked as both splits and cut into 256 px
    pretraining patches under ``work_dir``), every cell in one process."""
    data = osp.join(work_dir, 'data')
    link_splits(crop, data)
    patches = osp.join(data, 'pretrain_patches')
    if not osp.isdir(patches):
        cut_patches(find_images(osp.join(crop, 'img_dir')), patches, patch_size=256)
    return Config(
        dict(
            matrix.to_dict(),
            work_dir=osp.join(work_dir, 'work'),
            seg_data_root=data,
            convert_dubai_aerial=None,
            methods={
                m: short_warmup(s)
                for m, s in matrix.methods.items()
            },
            ablations={
                m: short_warmup(s)
                for m, s in matrix.get('ablations', {}).items()
            },
            pretrain_cfg_options=dict(PRETRAIN, **{'train_dataloader.dataset.data_root': patches}),
            finetune_cfg_options=FINETUNE,
            gpus=1))  # every cell in one process: the smoke run checks configs, not launchers
