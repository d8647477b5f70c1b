"""Distributed training on CPU-only machines (torchrun / dist_train.sh over gloo).

mmengine 0.10.7 cannot do it as shipped: its pytorch launcher calls ``torch.cuda.set_device``
(absent from CPU torch) and its DDP wrapper passes ``device_ids=[LOCAL_RANK]`` (GPU-only).
torch's SyncBatchNorm also needs GPUs. :func:`setup_cpu_distributed` works around all three
from the tools, without touching site-packages.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU processes: no device ids, SyncBN reverted to BN.

    Batch-norm statistics are then per process, as with plain BN on each GPU.
    """

    def __init__(self, module: torch.nn.Module, **kwargs) -> None:
        kwargs['device_ids'] = None
        if any(isinstance(m, torch.nn.SyncBatchNorm) for m in module.modules()):
            print_log(
                'SyncBN needs GPUs: reverted to per-process BN for CPU training',
                logger='current',
                level=30)
            module = revert_sync_batchnorm(module)
        super().__init__(module=module, **kwargs)


def setup_cpu_distributed(cfg: Config) -> None:
    """Prepare a ``--launcher pytorch`` run on a machine without CUDA (no-op otherwise).

    Initialises the gloo process group from torchrun's environment (so the Runner does not try
    CUDA) and selects :class:`CPUDistributedDataParallel` unless the config names a wrapper.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo', rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']))
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='CPUDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
