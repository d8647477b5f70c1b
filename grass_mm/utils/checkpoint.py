"""Checkpoint files: the backbone as a plain-tensor file, weight digests, fit to a model."""
import hashlib
import os
import os.path as osp
from typing import List, Mapping

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def _state_dict(src: str) -> dict:
    """The tensors of a checkpoint file (its ``state_dict`` if it has one)."""
    try:
        checkpoint = CheckpointLoader.load_checkpoint(src, map_location='cpu')
    except RuntimeError as err:  # not a checkpoint, truncated, ...: the message names the file
        raise ValueError(f'{src}: not a readable checkpoint ({err})') from None
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    return {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}


def load_backbone_state(src: str, prefix: str = 'backbone.') -> dict:
    """The backbone tensors of a training checkpoint (``prefix`` stripped) or of an exported
    backbone file (kept as they are: it has no key with ``prefix``).

    Raises:
        ValueError: ``src`` is not a readable checkpoint (named).
    """
    state = _state_dict(src)
    if any(k.startswith(prefix) for k in state):
        return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    return state


def extract_backbone(src: str, dst: str, prefix: str = 'backbone.') -> int:
    """Write the ``prefix`` tensors of ``src`` (prefix stripped) to ``dst``.

    The output holds only ``{'state_dict': {name: tensor}}`` and loads with
    ``torch.load(dst, weights_only=True)``; it drops into mmseg with
    ``model.backbone.init_cfg=dict(type='Pretrained', checkpoint=dst)``. Key names of
    mmpretrain's ``ResNet`` are those of torchvision's (and timm's) ResNet already: the file also
    loads into ``torchvision.models.resnet*`` with only ``fc.*`` missing (tested).

    Args:
        src: mmpretrain/grass_mm training checkpoint.
        dst: Output file; must not exist (nothing a user made is overwritten).
        prefix: Key prefix of the backbone in ``src``.

    Returns:
        The number of tensors written.

    Raises:
        FileExistsError: ``dst`` exists.
        ValueError: ``src`` holds no tensor under ``prefix``.
    """
    if osp.exists(dst):
        raise FileExistsError(f'{dst} exists; refusing to overwrite it')
    state = _state_dict(src)
    if not any(k.startswith(prefix) for k in state):
        sample = ', '.join(list(state)[:5]) or 'none'
        raise ValueError(f'{src} holds no backbone: no tensor key starts with {prefix!r} '
                         f'(first keys: {sample})')
    backbone = {k: v.detach().clone() for k, v in load_backbone_state(src, prefix).items()}
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = dst + '.part'
    torch.save({'state_dict': backbone}, tmp)
    os.replace(tmp, dst)  # a crash mid-write never leaves a truncated dst
    return len(backbone)


def weights_sha256(path: str) -> str:
    """SHA-256 of the tensors of a checkpoint: names, dtypes, shapes and values, in name order.

    It names a set of weights rather than a file (``torch.save`` may lay the same tensors out
    differently), so two pretrainings that produced the same backbone get the same id: the
    benchmark collector uses it to tell whether cells fine-tuned in different sessions started
    from one pretraining.

    Args:
        path: A checkpoint or ``extract_backbone`` output.

    Returns:
        The hex digest.
    """
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    digest = hashlib.sha256()
    for name in sorted(k for k, v in state.items() if isinstance(v, torch.Tensor)):
        tensor = state[name].detach().cpu().contiguous().reshape(-1)
        digest.update(f'{name}:{tensor.dtype}:{tuple(state[name].shape)};'.encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def state_mismatches(ours: Mapping, theirs: Mapping) -> List[str]:
    """How a checkpoint's tensors fail to fit a model, one line per key (empty: they fit).

    Args:
        ours: The model's ``state_dict()``.
        theirs: The checkpoint's ``state_dict`` (a ``module.`` prefix, from DDP, is dropped).

    Returns:
        ``missing <key>``, ``unexpected <key>`` and ``<key>: checkpoint (shape) vs model
        (shape)`` lines, in that order.
    """
    theirs = {k[7:] if k.startswith('module.') else k: v for k, v in theirs.items()}
    problems = [f'missing {k}' for k in ours if k not in theirs]
    problems += [f'unexpected {k}' for k in theirs if k not in ours]
    problems += [
        f'{k}: checkpoint {tuple(theirs[k].shape)} vs model {tuple(v.shape)}'
        for k, v in ours.items()
        if k in theirs and hasattr(theirs[k], 'shape') and tuple(theirs[k].shape) != tuple(v.shape)
    ]
    return problems
