"""Short-run copies of the Potsdam presets that the GPU acceptance trains
(``gpu_acceptance.py``)."""
import os
import os.path as osp
from typing import Dict


def short_potsdam_configs(out_dir: str, potsdam: str, pretrain_config: str, finetune_config: str,
                          smoke: bool) -> Dict[str, str]:
    """Short-run copies of the Potsdam presets reading the Potsdam crop, in OUT_DIR/configs.

    Args:
        out_dir: The acceptance run's folder.
        potsdam: The Potsdam crop (``img_dir``, ``ann_dir``).
        pretrain_config: The GraSS Potsdam preset.
        finetune_config: Its mmseg fine-tuning config, of the pretrained depth.
        smoke: Tiny batches and views for the CPU smoke run.

    Returns:
        The paths of the ``pretrain``, ``dist`` (smaller batches for ``dist_train.sh``) and
        ``finetune`` configs.
    """
    from mmengine.config import Config

    from grass_mm.utils import update_transforms
    from grass_mm.utils.config import find_hook
    folder = osp.join(out_dir, 'configs')
    os.makedirs(folder, exist_ok=True)
    batch, iters = (4, 3) if smoke else (256, 12)  # per epoch; two epochs, GS in the second
    pretrain = Config.fromfile(pretrain_config)
    source = pretrain.train_dataloader.dataset
    source.data_root = osp.join(potsdam, 'img_dir')
    pretrain.train_dataloader.update(
        batch_size=batch, num_workers=2 if smoke else 8, persistent_workers=False)
    # One 512 px tile, repeated: every view a fresh random crop of it, as in the preset.
    pretrain.train_dataloader.dataset = dict(
        type='RepeatDataset', times=batch * iters, dataset=source.to_dict())
    if smoke:
        update_transforms(
            pretrain.train_dataloader.dataset.dataset.pipeline, 'RandomResizedCrop', scale=64)
    for hook in pretrain.custom_hooks:
        if hook.type == 'DenseProbeHook':  # the Potsdam crop for both splits: a CUDA smoke test
            for split in (hook.train_split, hook.test_split):
                split.update(
                    data_root=potsdam, data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'))
            hook.update(interval=1, max_images=None)
    pretrain.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
    find_hook(pretrain).warmup_epochs = 1
    find_hook(pretrain, 'GraSSVisualizationHook').interval = iters
    pretrain.default_hooks.logger.interval = 1
    pretrain.default_hooks.checkpoint.interval = 2
    paths = dict(pretrain=osp.join(folder, 'pretrain.py'))
    pretrain.dump(paths['pretrain'])
    dist = Config.fromfile(paths['pretrain'])
    dist.train_dataloader.batch_size = 4 if smoke else 64
    dist.train_dataloader.dataset.times = dist.train_dataloader.batch_size * (3 if smoke else 6)
    paths['dist'] = osp.join(folder, 'dist.py')
    dist.dump(paths['dist'])

    finetune = Config.fromfile(finetune_config)
    for split in ('train', 'val', 'test'):
        loader = finetune[f'{split}_dataloader']
        loader.dataset.data_root = potsdam
        loader.dataset.data_prefix = dict(img_path='img_dir', seg_map_path='ann_dir')
        loader.num_workers = 2
        loader.persistent_workers = False
    finetune.train_dataloader.batch_size = 2 if smoke else 4
    n = 2 if smoke else 20
    finetune.train_cfg = dict(type='IterBasedTrainLoop', max_iters=n, val_interval=n)
    finetune.default_hooks.checkpoint.interval = n
    finetune.default_hooks.logger.interval = 1
    paths['finetune'] = osp.join(folder, 'finetune.py')
    finetune.dump(paths['finetune'])
    return paths
