import math
from typing import Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import find_latest_checkpoint


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first NaN or inf loss, before that state can be saved.

    It runs after every iteration ahead of ``CheckpointHook`` (priority ``VERY_HIGH``), so the
    checkpoints on disk all come from finite losses; the error names the iteration, the epoch and
    the last good checkpoint to resume from. mmdet's ``CheckInvalidLossHook`` (neither mmengine
    nor mmpretrain has one) checks only every ``interval`` iterations and names neither.
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        loss = (outputs or {}).get('loss')
        if loss is None:
            return
        loss = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        if math.isfinite(loss):
            return
        last = find_latest_checkpoint(runner.work_dir) or 'none saved yet'
        raise FloatingPointError(
            f'loss is {loss} at iteration {runner.iter + 1} (epoch {runner.epoch + 1}); '
            f'training stopped before saving this state. Last good checkpoint: {last} '
            '(resume with --resume after lowering the learning rate or checking the data)')
