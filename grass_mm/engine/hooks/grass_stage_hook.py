from typing import Optional, Sequence

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import IterBasedTrainLoop
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class GraSSStageHook(Hook):
    """Switch GraSS from the instance-discrimination warm-up to gradient-guided sampling.

    The stage is derived from ``runner.epoch`` or ``runner.iter`` before every iteration (the
    ``DenseCLHook`` pattern), so a resumed run lands in the right stage with no saved state.

    Args:
        warmup_epochs (int, optional): Epochs of warm-up (epoch-based loops only).
        warmup_iters (int, optional): Iterations of warm-up. Give exactly one of the two;
            0 runs gradient-guided sampling from the first step, like the authors' release.
    """

    priority = 'NORMAL'

    def __init__(self,
                 warmup_epochs: Optional[int] = None,
                 warmup_iters: Optional[int] = None) -> None:
        if (warmup_epochs is None) == (warmup_iters is None):
            raise ValueError('GraSSStageHook needs exactly one of warmup_epochs or '
                             f'warmup_iters, got {warmup_epochs!r} and {warmup_iters!r}')
        length = warmup_iters if warmup_epochs is None else warmup_epochs
        if not isinstance(length, int) or length < 0:
            raise ValueError(f'GraSSStageHook: the warm-up length must be an int >= 0, '
                             f'got {length!r}')
        self.by_epoch = warmup_epochs is not None
        self.length = length

    def before_train(self, runner) -> None:
        """Check the model has a stage and the warm-up fits in the schedule."""
        model = get_ori_model(runner.model)
        if not hasattr(model, 'stage'):
            raise TypeError(f'GraSSStageHook needs a model with a `stage` attribute (GraSS), '
                            f'got {type(model).__name__}')
        if self.by_epoch and isinstance(runner.train_loop, IterBasedTrainLoop):
            raise ValueError('GraSSStageHook: warmup_epochs needs an epoch-based train loop; '
                             'use warmup_iters with an iteration-based one')
        unit = 'epochs' if self.by_epoch else 'iters'
        total = runner.max_epochs if self.by_epoch else runner.max_iters
        if self.length > total:
            raise ValueError(f'GraSSStageHook: warmup_{unit}={self.length} is longer than the '
                             f'schedule ({total} {unit})')
        if self.length == total:
            runner.logger.warning(f'GraSSStageHook: warmup_{unit}={self.length} covers the '
                                  'whole schedule; gradient-guided sampling never runs')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[Sequence[dict]] = None) -> None:
        """Set ``model.stage`` from the current epoch or iteration."""
        progress = runner.epoch if self.by_epoch else runner.iter
        stage = 'gs' if progress >= self.length else 'warmup'
        model = get_ori_model(runner.model)
        if model.stage != stage:
            agree = _ranks_agree(stage, next(model.parameters()).device)
            runner.logger.info(f'GraSS stage: {model.stage} -> {stage} '
                               f'(epoch {runner.epoch}, iter {runner.iter}{agree})')
            model.stage = stage


def _ranks_agree(stage: str, device: torch.device) -> str:
    """Check every rank switches to ``stage`` at this iteration (one all-reduce per switch)."""
    world = get_world_size()
    if world == 1:
        return ''
    count = torch.tensor([float(stage == 'gs')], device=device)
    all_reduce(count, op='sum')
    if int(count.item()) not in (0, world):
        raise RuntimeError(f'GraSSStageHook: ranks disagree on the stage ({int(count.item())} of '
                           f'{world} in gs); their epoch/iteration counters differ')
    return f', all {world} ranks'
