"""Export the pretrained backbone of a training checkpoint as a plain-tensor file."""
import hashlib
import os
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader


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
    checkpoint = CheckpointLoader.load_checkpoint(src, map_location='cpu')
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    backbone = {
        k[len(prefix):]: v.detach().clone()
        for k, v in state.items() if k.startswith(prefix) and isinstance(v, torch.Tensor)
    }
    if not backbone:
        sample = ', '.join(list(state)[:5]) or 'none'
        raise ValueError(f'{src} holds no backbone: no tensor key starts with {prefix!r} '
                         f'(first keys: {sample})')
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
