"""Small real configs for Runner-based tests (tiny synthetic data, ResNet-18, 64 px views)."""
import os.path as osp

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
GRASS_SYNTHETIC = osp.join(REPO, 'configs', 'grass',
                           'grass_resnet18_1xb16-coslr-30e_synthetic-128px.py')


def tiny_grass_cfg(data_root: str, work_dir: str, max_epochs: int = 2, warmup_epochs: int = 1,
                   warmup_iters: int = None, max_iters: int = None) -> Config:
    """The demo's GraSS config shrunk to seconds: 8 images, batch 4, 64 px views.

    Epoch-based by default; with ``max_iters`` an IterBasedTrainLoop and ``warmup_iters``.
    """
    cfg = Config.fromfile(GRASS_SYNTHETIC)
    cfg.work_dir = work_dir
    loader = cfg.train_dataloader
    loader.batch_size, loader.num_workers, loader.persistent_workers = 4, 0, False
    loader.dataset.data_root = osp.join(data_root, 'img_dir', 'train')
    loader.dataset.pipeline[1].transforms[0][0].scale = 64
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    if max_iters is None:
        cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
        cfg.custom_hooks = [dict(type='GraSSStageHook', warmup_epochs=warmup_epochs)]
    else:
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
        cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
        cfg.custom_hooks = [dict(type='GraSSStageHook', warmup_iters=warmup_iters)]
        cfg.log_processor = dict(by_epoch=False)
    return cfg
