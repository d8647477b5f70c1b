"""NonFiniteLossHook: a real NaN loss in a real GraSS run stops before that state is saved."""
import os

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from grass_mm.engine.hooks import NonFiniteLossHook
from tests.helpers import tiny_grass_cfg

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)


@HOOKS.register_module(force=True)
class ZeroTemperatureHook(Hook):
    """Sets the contrastive temperature to 0 from iteration ``at`` on: a real NaN loss."""

    def __init__(self, at):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at:
            runner.model.head.temperature = 0.0


def test_nan_loss_stops_naming_the_iteration_and_keeps_the_good_checkpoint(
        synthetic_root, tmp_path):
    cfg = tiny_grass_cfg(synthetic_root, str(tmp_path), max_epochs=3, warmup_epochs=1)
    cfg.custom_hooks.append(dict(type='ZeroTemperatureHook', at=4))  # epoch 2, 2nd iteration
    cfg.experiment_name = 'nan_loss'
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
            FloatingPointError,
            match=r'loss is nan at iteration 4 \(epoch 2\).*'
            r'Last good checkpoint: .*epoch_1\.pth'):
        runner.train()
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth')) == ['epoch_1.pth']
    state = torch.load(tmp_path / 'epoch_1.pth', weights_only=False)['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_it_runs_before_the_checkpoint_hook():
    from mmengine.hooks import CheckpointHook
    from mmengine.runner import get_priority
    assert get_priority(NonFiniteLossHook.priority) < get_priority(CheckpointHook.priority)


def test_finite_and_missing_losses_pass(synthetic_root, tmp_path):
    runner = Runner.from_cfg(tiny_grass_cfg(synthetic_root, str(tmp_path), max_epochs=1))
    hook = NonFiniteLossHook()
    hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(3.5)))
    hook.after_train_iter(runner, 0, outputs=None)
    with pytest.raises(FloatingPointError, match='loss is inf at iteration 1 .*none saved yet'):
        hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(float('inf'))))
