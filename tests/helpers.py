"""Small real configs for Runner-based tests (tiny synthetic data, ResNet-18, 64 px views)."""
import copy
import functools
import os
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from grass_mm.utils import update_transforms

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
GRASS_SYNTHETIC = osp.join(REPO, 'configs', 'grass',
                           'grass_resnet18_1xb16-coslr-30e_synthetic-128px.py')


def tool_env() -> dict:
    """The checkout first on PYTHONPATH (as dist_train.sh does; what was there stays after it,
    e.g. an offline install's folder) and this interpreter's bin/ first on PATH, so `mim` and
    `torchrun` are the venv's even when it is not activated."""
    return dict(
        os.environ,
        PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''),
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))


def needs_rasterio():
    """rasterio, or a skip: the GeoTIFF paths need it, and the offline GPU wheelhouse leaves it
    out (a 35 MB wheel)."""
    return pytest.importorskip(
        'rasterio', reason='needs rasterio (GeoTIFF); the offline GPU install leaves it out')


@functools.lru_cache(maxsize=None)
def _parsed(path: str) -> Config:
    return Config.fromfile(path)


def load_config(path: str) -> Config:
    """A repo config parsed once per test session (the config tests read every config several
    times), copied so that a test's edits stay its own."""
    return copy.deepcopy(_parsed(path))


def tiny_grass_cfg(data_root: str,
                   work_dir: str,
                   max_epochs: int = 2,
                   warmup_epochs: int = 1,
                   warmup_iters: int = None,
                   max_iters: int = None) -> Config:
    """The demo's GraSS config shrunk to seconds: 8 images, batch 4, 64 px views.

    Epoch-based by default; with ``max_iters`` an IterBasedTrainLoop and ``warmup_iters``.
    """
    cfg = Config.fromfile(GRASS_SYNTHETIC)
    cfg.work_dir = work_dir
    loader = cfg.train_dataloader
    loader.batch_size, loader.num_workers, loader.persistent_workers = 4, 0, False
    loader.dataset.data_root = osp.join(data_root, 'img_dir', 'train')
    update_transforms(loader.dataset.pipeline, 'RandomResizedCrop', scale=64)
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


def write_multiband_tiff(path: str, array) -> str:
    """Write ``array`` ``[H, W, B]`` uint8 as an uncompressed B-band TIFF (OpenCV cannot write
    more than 4 bands): the real file layout of multispectral tiles."""
    import struct
    height, width, bands = array.shape
    data = array.astype('uint8').tobytes()
    entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, bands, None), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, None), (277, 3, 1, bands), (278, 3, 1, height),
               (279, 4, 1, len(data)), (284, 3, 1, 1), (338, 3, bands - 1, None)]
    ifd_size = 2 + 12 * len(entries) + 4
    bits_at = 8 + ifd_size
    extra_at = bits_at + 2 * bands
    data_at = extra_at + 2 * (bands - 1)
    ifd = struct.pack('<H', len(entries))
    for tag, kind, count, value in entries:
        if tag == 258:
            ifd += struct.pack('<HHII', tag, kind, count, bits_at)
        elif tag == 338:  # the bands past the first are unspecified extra samples
            ifd += struct.pack('<HHII', tag, kind, count, extra_at if count > 2 else 0)
        elif tag == 273:
            ifd += struct.pack('<HHII', tag, kind, count, data_at)
        elif kind == 3:
            ifd += struct.pack('<HHIHH', tag, kind, count, value, 0)
        else:
            ifd += struct.pack('<HHII', tag, kind, count, value)
    ifd += struct.pack('<I', 0)
    with open(path, 'wb') as f:
        f.write(b'II*\x00' + struct.pack('<I', 8) + ifd + struct.pack(f'<{bands}H', *[8] * bands) +
                struct.pack(f'<{bands - 1}H', *[0] * (bands - 1)) + data)
    return path
