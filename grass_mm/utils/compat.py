"""Fixes for the torch >= 2.6 / CPU-only OpenMMLab stack, applied on ``import grass_mm``.

Each fix is a no-op where it is not needed, and none edits files in site-packages.
Background and evidence for both: ``ENVIRONMENT.md`` of the project (docs/en/get_started.md).

1. torchvision 0.28.0 on PyPI is a CUDA build whose import dies on a CPU torch unless two op
   schemas are declared first (:mod:`grass_mm.utils.torchvision_fix`, which also holds the
   import hook that ``install_cpu.sh`` installs for scripts importing torchvision first).
2. Checkpoints are data. torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine
   0.10.7 calls ``torch.load`` without the argument, so its full checkpoints (``resume``,
   ``load_from``, ``init_cfg=dict(type='Pretrained')``) fail. Our loader for local paths loads
   every file with ``weights_only=True`` and an allow-list of exactly the types this stack's
   checkpoints hold (:func:`checkpoint_safe_globals`: mmengine's ``HistoryBuffer``, numpy arrays
   and scalars, and ``getattr``, which the weights-only unpickler lets call nothing that is not
   on the list). Anything else is refused, naming the file and the offending global; the one
   opt-in is ``GRASS_MM_TRUST_CHECKPOINTS=FILE[:FILE...]``, naming the files to unpickle fully.
3. numpy >= 2 (the GPU nodes' stack) refuses ``np.uint8(-33.15)``, which mmcv 2.1.0's
   ``adjust_hue`` computes for every negative hue factor, so mmpretrain's ``ColorJitter`` (hue
   jitter is in every SimCLR view pipeline) raises ``OverflowError`` at random. Under numpy >= 2
   we replace ``mmcv.adjust_hue`` by :func:`adjust_hue`, which computes the shift as numpy 1
   did (truncate, then wrap modulo 256); under numpy 1 mmcv's own function stays.
4. mmengine's local file backend writes in place: a run killed mid-save (preemption, SIGKILL, a
   full disk) leaves a truncated ``epoch_N.pth`` under its real name, which blocks both a rerun
   and ``--resume``. :class:`AtomicLocalBackend` replaces it for local paths: every file
   (checkpoints, ``last_checkpoint``) goes to a hidden temporary name beside it and is renamed,
   and a full disk is an error naming the file, its size and the free space.
"""
import errno
import logging
import os
import os.path as osp
import pickle
import re
import shutil
from typing import Any, Optional

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend

from .torchvision_fix import declare_torchvision_ops

TRUST_ENV = 'GRASS_MM_TRUST_CHECKPOINTS'
# The files this process loaded with a full unpickle (trusted by name), for a tool to tell once.
FULL_UNPICKLED = set()


def trusted(filename: str) -> bool:
    """Whether ``GRASS_MM_TRUST_CHECKPOINTS`` names ``filename`` (``:``-separated paths)."""
    names = [n for n in os.environ.get(TRUST_ENV, '').split(os.pathsep) if n]
    return osp.realpath(filename) in {osp.realpath(osp.expanduser(n)) for n in names}


def checkpoint_safe_globals() -> list:
    """The types a checkpoint of this stack holds beyond tensors and containers: mmengine's
    message hub (``HistoryBuffer`` of numpy arrays, bound statistics methods through
    ``getattr``) under numpy 1 or 2 names, whichever numpy saved it."""
    from mmengine.logging.history_buffer import HistoryBuffer
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy 1
        from numpy.core import multiarray
    dtypes = {
        type(np.dtype(t))
        for t in (np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
                  np.uint64, np.uint32, np.uint16, np.uint8, np.bool_)
    }
    named = [(fn, f'{module}.{fn.__name__}')
             for module in ('numpy.core.multiarray', 'numpy._core.multiarray')
             for fn in (multiarray._reconstruct, multiarray.scalar)]
    return [HistoryBuffer, np.ndarray, np.dtype, getattr, *sorted(dtypes, key=str), *named]


def load_local_checkpoint(filename: str, map_location: Any = None) -> Any:
    """Load a local checkpoint, safely where possible (mmengine's loader for plain paths).

    Args:
        filename: Path of the checkpoint file.
        map_location: Same as :func:`torch.load`.

    Returns:
        Whatever the file holds (usually a dict with ``state_dict``).

    Raises:
        FileNotFoundError: The file does not exist.
        RuntimeError: The file is not a readable torch checkpoint (e.g. truncated), or it holds
            a type outside :func:`checkpoint_safe_globals` and ``GRASS_MM_TRUST_CHECKPOINTS``
            does not name it.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    with open(filename, 'rb') as f:
        head = f.read(4)
    # torch.save writes a zip archive (PK..); files of torch < 1.6 are a pickle (0x80 first).
    if not (head.startswith(b'PK') or head[:1] == b'\x80'):
        raise RuntimeError(f'could not read checkpoint {filename}: it is not a torch checkpoint '
                           f'(neither a zip archive nor a pickle; it starts with {head!r})')
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r'GLOBAL ([\w.]+)|unrecognized function (.+?)(?: which|$)', str(err),
                          re.M)
        if not found:  # not a foreign type: a broken pickle
            raise RuntimeError(f'could not read checkpoint {filename}: it is truncated, corrupt '
                               f'or not a torch checkpoint ({str(err).splitlines()[-1]})') from err
        if not trusted(filename):
            what = found.group(1) or found.group(2)
            raise RuntimeError(
                f'checkpoint {filename} holds {what}, which no checkpoint of this stack holds '
                f'(tensors, mmengine training state): unpickling it could run code from the '
                f'file, so it is not loaded. If you trust this file, name it in '
                f'{TRUST_ENV}={filename}') from None
    except (RuntimeError, EOFError, ValueError) as err:
        raise RuntimeError(f'could not read checkpoint {filename}: it is truncated, corrupt '
                           f'or not a torch checkpoint ({err})') from err
    from mmengine.logging import print_log
    print_log(
        f'checkpoint {filename} is unpickled fully (weights_only=False): {TRUST_ENV} names it',
        logger='current',
        level=logging.WARNING)
    FULL_UNPICKLED.add(osp.abspath(filename))
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except Exception as err:  # a full unpickle of a broken file fails in many ways
        raise RuntimeError(f'could not read checkpoint {filename}: it is truncated, corrupt '
                           f'or not a torch checkpoint ({type(err).__name__}: {err})') from err


def adjust_hue(img: np.ndarray, hue_factor: float, backend: Optional[str] = None) -> np.ndarray:
    """``mmcv.adjust_hue`` (2.1.0) with a hue shift that numpy 2 accepts; same result.

    Args:
        img: A BGR image, ``(H, W, 3)``.
        hue_factor: The hue shift, in ``[-0.5, 0.5]`` of a full turn.
        backend: ``'cv2'`` or ``'pillow'``; None is mmcv's image backend.

    Returns:
        The hue-shifted image, of ``img``'s dtype.
    """
    import cv2
    from mmcv.image import photometric
    from PIL import Image
    backend = backend or photometric.imread_backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f"backend: {backend} is not supported. Supported backends are 'cv2', "
                         "'pillow'")
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    # What np.uint8(hue_factor * 255) gave under numpy 1: truncation, then wrap-around.
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        h, s, v = Image.fromarray(img[..., ::-1], mode='RGB').convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8)
        np_h += shift  # uint8 addition rotates across the boundary
        rgb = Image.merge('HSV', (Image.fromarray(np_h, 'L'), s, v)).convert('RGB')
        return np.array(rgb, dtype=img.dtype)[..., ::-1]
    h, s, v = cv2.split(cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL))
    h = h.astype(np.uint8)
    h += shift
    return cv2.cvtColor(cv2.merge([h, s, v]), cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def patch_adjust_hue() -> None:
    """Under numpy >= 2, make :func:`adjust_hue` the one mmcv and mmpretrain call (fix 3)."""
    if int(np.__version__.split('.')[0]) < 2:
        return
    import mmcv
    from mmcv import image
    from mmcv.image import photometric
    for module in (mmcv, image, photometric):
        module.adjust_hue = adjust_hue


def write_atomic(data: bytes, filepath: str) -> None:
    """Write ``data`` to a hidden temporary name beside ``filepath``, then rename it (fix 4).

    Raises:
        OSError: The write failed; a full disk (ENOSPC) names the file, its size and the free
            space. Nothing is left under either name.
    """
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(filepath)}.partial-{os.getpid()}')
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException as err:
        if osp.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            free = shutil.disk_usage(folder).free
            raise OSError(
                errno.ENOSPC, f'no space left on the disk of {filepath}: writing it needs '
                f'{len(data) / 2**20:.1f} MiB and {free / 2**20:.1f} MiB are free; nothing was '
                'written under its name (free some space, then --resume)') from None
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend whose writes are atomic (:func:`write_atomic`; fix 4,
    registered by :mod:`grass_mm.replacements`)."""

    def put(self, obj: bytes, filepath) -> None:
        write_atomic(obj, str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        write_atomic(obj.encode(encoding), str(filepath))


def apply() -> None:
    """Apply the fixes that patch functions (idempotent); fixes 2 and 4 replace registered
    components and are registered with the others by :mod:`grass_mm.replacements`."""
    declare_torchvision_ops()
    patch_adjust_hue()
