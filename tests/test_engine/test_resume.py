"""Interrupt a GraSS run, resume it, and compare with the run that was never interrupted.

Real Runners on tiny synthetic data in deterministic mode. The views are deterministic (a resize
and a flipped resize): mmengine does not checkpoint the augmentation RNG, so random views would
differ after a resume by design, while everything resume must restore (weights, optimiser and
scheduler state, data order, stage) is what this compares: the stage, the learning rate and the
loss of every iteration.
"""
import tempfile

import pytest
from mmengine.hooks import Hook
from mmengine.testing import RunnerTestCase
from mmpretrain.registry import HOOKS

from grass_mm.datasets import generate_synthetic_aerial
from tests.helpers import tiny_grass_cfg

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)


class Interrupted(Exception):
    pass


@HOOKS.register_module(force=True)
class RecordStepHook(Hook):
    """Records (iteration, stage, lr, loss) of every step."""

    priority = 'LOW'

    def __init__(self):
        self.steps = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.steps.append(
            (runner.iter + 1, runner.model.stage, runner.optim_wrapper.get_lr()['lr'][0],
             float(outputs['loss'])))


@HOOKS.register_module(force=True)
class InterruptHook(Hook):
    """Kills the run after iteration/epoch ``at``, once its checkpoint is written."""

    priority = 'LOWEST'  # after CheckpointHook (VERY_LOW)

    def __init__(self, at, by_epoch):
        self.at, self.by_epoch = at, by_epoch

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if not self.by_epoch and runner.iter + 1 == self.at:
            raise Interrupted

    def after_train_epoch(self, runner):
        if self.by_epoch and runner.epoch + 1 == self.at:
            raise Interrupted


class TestResumeEquivalence(RunnerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.TemporaryDirectory()
        generate_synthetic_aerial(cls.data_dir.name, num_train=8, num_val=0, size=96)
        cls.wholes = {}

    @classmethod
    def tearDownClass(cls):
        cls.data_dir.cleanup()

    def config(self, by_epoch, work_dir):
        if by_epoch:  # 4 epochs of 2 iterations, GS from epoch 3
            cfg = tiny_grass_cfg(self.data_dir.name, work_dir, max_epochs=4, warmup_epochs=2)
        else:  # 6 iterations, GS from iteration 4
            cfg = tiny_grass_cfg(self.data_dir.name, work_dir, max_iters=6, warmup_iters=3)
            cfg.param_scheduler = [
                dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
                dict(type='CosineAnnealingLR', T_max=4, by_epoch=False, begin=2, end=6),
            ]
            cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1, by_epoch=False)
        views = [dict(type='Resize', scale=(64, 64))]
        cfg.train_dataloader.dataset.pipeline[1] = dict(
            type='MultiView',
            num_views=[1, 1],
            transforms=[views, views + [dict(type='RandomFlip', prob=1.0)]])
        cfg.randomness = dict(seed=0, deterministic=True)
        return cfg

    def steps(self, cfg, name, interrupt=None, resume=False):
        cfg.experiment_name = f'{self.experiment_name}_{name}'
        cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type='RecordStepHook')]
        if interrupt is not None:
            cfg.custom_hooks.append(interrupt)
        cfg.resume = resume
        runner = self.build_runner(cfg)
        recorder = [h for h in runner.hooks if isinstance(h, RecordStepHook)][0]
        try:
            runner.train()
        except Interrupted:
            pass
        return recorder.steps

    def whole(self, by_epoch):
        """The uninterrupted run of each switch kind, run once for its three tests."""
        if by_epoch not in self.wholes:
            work = f'{self.data_dir.name}/whole_{by_epoch}'
            self.wholes[by_epoch] = self.steps(self.config(by_epoch, work), 'whole')
        return self.wholes[by_epoch]

    def check(self, by_epoch, at, first_resumed_stage):
        whole = self.whole(by_epoch)
        assert [s[1] for s in whole] == ['warmup'] * 3 + ['gs'] * 3 if not by_epoch else \
            ['warmup'] * 4 + ['gs'] * 4
        work = f'{self.temp_dir.name}/parts'
        before = self.steps(
            self.config(by_epoch, work), 'before',
            dict(type='InterruptHook', at=at, by_epoch=by_epoch))
        after = self.steps(self.config(by_epoch, work), 'after', resume=True)
        assert after[0][1] == first_resumed_stage
        resumed = before + after
        assert [s[0] for s in resumed] == [s[0] for s in whole]
        assert [s[1] for s in resumed] == [s[1] for s in whole]
        for (i, _, lr, loss), (_, _, lr_ref, loss_ref) in zip(resumed, whole):
            assert lr == pytest.approx(lr_ref, rel=1e-12), i
            assert loss == pytest.approx(loss_ref, rel=1e-5, abs=1e-6), i

    def test_iteration_switch_interrupted_during_warmup(self):
        self.check(by_epoch=False, at=2, first_resumed_stage='warmup')

    def test_iteration_switch_interrupted_exactly_at_the_switch(self):
        self.check(by_epoch=False, at=3, first_resumed_stage='gs')

    def test_iteration_switch_interrupted_during_gs(self):
        self.check(by_epoch=False, at=5, first_resumed_stage='gs')

    def test_epoch_switch_interrupted_during_warmup(self):
        self.check(by_epoch=True, at=1, first_resumed_stage='warmup')

    def test_epoch_switch_interrupted_exactly_at_the_switch(self):
        self.check(by_epoch=True, at=2, first_resumed_stage='gs')

    def test_epoch_switch_interrupted_during_gs(self):
        self.check(by_epoch=True, at=3, first_resumed_stage='gs')
