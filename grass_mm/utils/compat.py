"""Fixes for the torch >= 2.6 / CPU-only OpenMMLab stack, applied on ``import grass_mm``.

Each fix is a no-op where it is not needed, and none edits files in site-packages.
Background and evidence for both: ``ENVIRONMENT.md`` of the project (docs/en/get_started.md).

1. torchvision 0.28.0 on PyPI is a CUDA build whose import dies on a CPU torch unless two op
   schemas are declared first (:mod:`grass_mm.utils.torchvision_fix`, which also holds the
   import hook that ``install_cpu.sh`` installs for scripts importing torchvision first).
2. torch >= 2.6 loads with ``weights_only=True`` by default; mmengine 0.10.7 calls ``torch.load``
   without the argument, so full mmengine checkpoints (``resume``, ``load_from``,
   ``init_cfg=dict(type='Pretrained')``) fail to load. We register a local-file loader that tries
   ``weights_only=True`` first and falls back to a full unpickle only for a file that needs it,
   with a warning naming the file. ``GRASS_MM_WEIGHTS_ONLY=1`` forbids the fallback.
"""
import logging
import os
import os.path as osp
import pickle
from typing import Any

import torch

from .torchvision_fix import declare_torchvision_ops

WEIGHTS_ONLY_ENV = 'GRASS_MM_WEIGHTS_ONLY'
# The files this process loaded with a full unpickle, for a tool to tell its user once.
FULL_UNPICKLED = set()


def weights_only_enforced() -> bool:
    """Whether ``GRASS_MM_WEIGHTS_ONLY=1`` forbids the full-unpickle fallback."""
    return os.environ.get(WEIGHTS_ONLY_ENV, '0').lower() in ('1', 'true', 'yes')


def load_local_checkpoint(filename: str, map_location: Any = None) -> Any:
    """Load a local checkpoint, safely where possible (mmengine's loader for plain paths).

    Args:
        filename: Path of the checkpoint file.
        map_location: Same as :func:`torch.load`.

    Returns:
        Whatever the file holds (usually a dict with ``state_dict``).

    Raises:
        FileNotFoundError: The file does not exist.
        RuntimeError: The file is not a readable torch checkpoint (e.g. truncated), or it needs a
            full unpickle while ``GRASS_MM_WEIGHTS_ONLY=1``.
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
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if weights_only_enforced():
            raise RuntimeError(
                f'checkpoint {filename} holds more than tensors (e.g. an mmengine training '
                f'checkpoint with its message hub) and needs a full unpickle, which '
                f'{WEIGHTS_ONLY_ENV}=1 forbids. Export the backbone with '
                f'the extract_backbone.py converter, or unset {WEIGHTS_ONLY_ENV} for '
                f'a file you trust.') from err
    except (RuntimeError, EOFError, ValueError) as err:
        raise RuntimeError(f'could not read checkpoint {filename}: it is truncated, corrupt '
                           f'or not a torch checkpoint ({err})') from err
    from mmengine.logging import print_log
    print_log(
        f'checkpoint {filename} needs a full unpickle (weights_only=False): load only '
        f'checkpoints you trust. Set {WEIGHTS_ONLY_ENV}=1 to refuse such files.',
        logger='current',
        level=logging.WARNING)
    FULL_UNPICKLED.add(osp.abspath(filename))
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except Exception as err:  # a full unpickle of a broken file fails in many ways
        raise RuntimeError(f'could not read checkpoint {filename}: it is truncated, corrupt '
                           f'or not a torch checkpoint ({type(err).__name__}: {err})') from err


def register_checkpoint_loader() -> None:
    """Make :func:`load_local_checkpoint` mmengine's loader for local paths."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)


def apply() -> None:
    """Apply every fix (idempotent)."""
    declare_torchvision_ops()
    register_checkpoint_loader()
