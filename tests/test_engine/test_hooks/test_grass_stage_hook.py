"""GraSSStageHook with real mmengine Runners on tiny synthetic data."""
import glob
import json
import tempfile

import pytest
from mmengine.hooks import Hook
from mmengine.testing import RunnerTestCase
from mmpretrain.registry import HOOKS

from grass_mm.acceptance import stage_check
from grass_mm.datasets import generate_synthetic_aerial
from grass_mm.engine.hooks import GraSSStageHook
from tests.helpers import tiny_grass_cfg


@HOOKS.register_module(force=True)
class RecordStageHook(Hook):
    """Records the model's stage as each iteration starts (after GraSSStageHook set it)."""

    priority = 'LOW'

    def __init__(self):
        self.stages = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.stages.append(runner.model.stage)


@pytest.mark.slow
class TestGraSSStageHook(RunnerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.TemporaryDirectory()
        generate_synthetic_aerial(cls.data_dir.name, num_train=8, num_val=0, size=96)

    @classmethod
    def tearDownClass(cls):
        cls.data_dir.cleanup()

    def run_and_record(self, cfg):
        cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type='RecordStageHook')]
        runner = self.build_runner(cfg)
        runner.train()
        recorder = [h for h in runner.hooks if isinstance(h, RecordStageHook)][0]
        return runner, recorder.stages

    def test_switches_after_the_warmup_epochs(self):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_epochs=2)
        runner, stages = self.run_and_record(cfg)
        assert stages == ['warmup', 'warmup', 'gs', 'gs']  # 2 iterations per epoch
        logged = runner.message_hub.get_scalar('train/stage').data[0]
        assert list(logged) == [0, 0, 1, 1]
        assert 0 < runner.message_hub.get_scalar('train/box_area').current() <= 1
        # ...and reach the visualizer backends (LocalVisBackend's scalars.json here).
        scalars = glob.glob(f'{self.temp_dir.name}/*/vis_data/scalars.json')
        with open(scalars[0]) as f:
            records = [json.loads(line) for line in f]
        assert [r['stage'] for r in records] == [0, 0, 1, 1]
        assert all(0 < r['box_area'] <= 1 and 'no_region' in r for r in records[2:])
        # What the GPU acceptance reads from these scalars (its check fails on a run that never
        # switched, below).
        assert stage_check(self.temp_dir.name)['detail'] == (
            'warm-up -> GS at iteration 3; 2 GS iterations logged')
        with open(scalars[0], 'w') as f:
            f.writelines(json.dumps(dict(r, stage=0.0)) + '\n' for r in records)
        with pytest.raises(AssertionError, match=r'no switch: stages logged \[0.0\]'):
            stage_check(self.temp_dir.name)

    def test_resume_after_the_switch_starts_in_gs(self):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_epochs=2)
        self.run_and_record(cfg)
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_epochs=3)
        cfg.resume = True
        cfg.experiment_name = self.experiment_name + '_resumed'
        runner, stages = self.run_and_record(cfg)
        assert runner.iter == 6 and stages == ['gs', 'gs']

    def test_switches_after_the_warmup_iters_and_resumes_at_the_switch(self):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_iters=3, warmup_iters=3)
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=3, by_epoch=False)
        _, stages = self.run_and_record(cfg)
        assert stages == ['warmup'] * 3
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_iters=5, warmup_iters=3)
        cfg.resume = True
        cfg.experiment_name = self.experiment_name + '_resumed'
        runner, stages = self.run_and_record(cfg)
        assert runner.iter == 5 and stages == ['gs', 'gs']

    def test_load_from_a_full_checkpoint_starts_a_new_run_in_warmup(self):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_epochs=2)
        self.run_and_record(cfg)
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_epochs=2)
        cfg.load_from = f'{self.temp_dir.name}/epoch_2.pth'  # weights only, not the progress
        cfg.experiment_name = self.experiment_name + '_loaded'
        runner, stages = self.run_and_record(cfg)
        assert runner.iter == 4 and stages == ['warmup', 'warmup', 'gs', 'gs']

    def test_warmup_longer_than_the_schedule_fails_before_training(self):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_epochs=2, warmup_epochs=3)
        with pytest.raises(ValueError, match=r'warmup_epochs=3 is longer than the schedule'):
            self.build_runner(cfg).train()

    def test_model_without_stage_fails_before_training(self):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name)
        for key in ('guide', 'sampler', 'guide_scale'):
            cfg.model.pop(key)
        cfg.model.type = 'SimCLR'
        with pytest.raises(TypeError, match='needs a model with a `stage` attribute'):
            self.build_runner(cfg).train()

    def test_epoch_warmup_with_an_iteration_loop_fails(self):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, max_iters=4, warmup_iters=2)
        cfg.custom_hooks = [dict(type='GraSSStageHook', warmup_epochs=1)]
        with pytest.raises(ValueError, match='needs an epoch-based train loop'):
            self.build_runner(cfg).train()


@pytest.mark.parametrize(
    'kwargs',
    [{}, dict(warmup_epochs=1, warmup_iters=2),
     dict(warmup_iters=-1),
     dict(warmup_epochs=1.5)])
def test_bad_warmup_arguments(kwargs):
    with pytest.raises(ValueError, match='GraSSStageHook'):
        GraSSStageHook(**kwargs)
