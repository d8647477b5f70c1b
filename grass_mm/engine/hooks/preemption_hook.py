import os.path as osp
import signal
import sys

import torch
from mmengine.dist import all_reduce, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from grass_mm.utils.compat import write_atomic


@HOOKS.register_module()
class PreemptionHook(Hook):
    """On SIGTERM (a cluster preempting or ending the job), save a checkpoint at the current
    iteration and exit.

    The signal only sets a flag; the checkpoint is saved after the step in progress, when the
    weights, optimiser and schedulers agree, as ``iter_<N>.pth`` through the runner (so written
    atomically, with ``last_checkpoint`` naming it) and the process exits with status 143 and a
    line saying how to continue. In a distributed run every rank learns of the signal at the same
    step (the flag is all-reduced each iteration), so all ranks stop together.

    An epoch-based run resumed from such a checkpoint runs the interrupted epoch again from its
    start (mmengine resumes epoch loops at epoch boundaries): the iteration counter continues, so
    that epoch's first iterations are counted twice and the run ends a little later than planned.
    """

    priority = 'LOWEST'  # after the step's other hooks (the checkpoint hook's own saves)

    def __init__(self, exit_code: int = 143) -> None:
        self.exit_code = exit_code
        self.signalled = False
        self._previous = None

    def _on_sigterm(self, signum, frame) -> None:
        self.signalled = True

    def before_train(self, runner) -> None:
        self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)

    def after_train(self, runner) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        flag = self.signalled
        if get_world_size() > 1:
            flag_tensor = torch.tensor([float(flag)])
            all_reduce(flag_tensor, op='max')
            flag = bool(flag_tensor.item())
        if not flag:
            return
        name = f'iter_{runner.iter + 1}.pth'
        # The epoch is recorded as not finished, so a resume runs it again from its start.
        runner.save_checkpoint(
            runner.work_dir, name, meta=dict(epoch=runner.epoch, iter=runner.iter + 1))
        path = osp.join(runner.work_dir, name)
        if is_main_process():
            write_atomic(path.encode(), osp.join(runner.work_dir, 'last_checkpoint'))
        print(
            f'train.py: SIGTERM at iteration {runner.iter + 1} (epoch {runner.epoch + 1}): '
            f'saved {path}; continue with --resume (same --work-dir)',
            file=sys.stderr,
            flush=True)
        raise SystemExit(self.exit_code)
