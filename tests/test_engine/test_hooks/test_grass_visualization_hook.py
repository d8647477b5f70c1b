"""GraSSVisualizationHook and DenseProbeHook with real Runners; scalars and images in
TensorBoard."""
import glob
import os.path as osp
import tempfile

import mmcv
import pytest
from mmengine.testing import RunnerTestCase
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from grass_mm.datasets import generate_synthetic_aerial
from grass_mm.engine.hooks import GraSSVisualizationHook
from tests.helpers import tiny_grass_cfg


@pytest.mark.slow
class TestSamplingSignals(RunnerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.TemporaryDirectory()
        generate_synthetic_aerial(cls.data_dir.name, num_train=8, num_val=0, size=96)

    @classmethod
    def tearDownClass(cls):
        cls.data_dir.cleanup()

    def train(self, hooks, name='', **kwargs):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name, **kwargs)
        cfg.experiment_name = self.experiment_name + name
        cfg.custom_hooks = list(cfg.custom_hooks) + hooks
        cfg.visualizer.vis_backends = [
            dict(type='LocalVisBackend'),
            dict(type='TensorboardVisBackend')
        ]
        runner = self.build_runner(cfg)
        runner.train()
        return runner

    def test_grids_of_gs_steps_reach_local_and_tensorboard_backends(self):
        runner = self.train([dict(type='GraSSVisualizationHook', interval=1, num_views=2)],
                            max_epochs=2,
                            warmup_epochs=1)  # iters 1-2 warm-up, 3-4 GS
        images = sorted(glob.glob(osp.join(runner.log_dir, 'vis_data', 'vis_image', '*.png')))
        assert [osp.basename(p) for p in images] == ['grass_sampling_3.png', 'grass_sampling_4.png']
        grid = mmcv.imread(images[0])
        assert grid.shape == (2 * 64 + 2, 3 * 64 + 4, 3)  # 2 views x (view | map | crop)
        assert runner.model.last_samples is None and runner.model.keep_samples == 0
        events = EventAccumulator(
            glob.glob(osp.join(runner.log_dir, 'vis_data', 'events*'))[0],
            size_guidance={
                'images': 0,
                'scalars': 0
            })
        events.Reload()
        assert {'stage', 'box_area', 'no_region', 'loss'} <= set(events.Tags()['scalars'])
        assert [e.step for e in events.Scalars('stage')] == [1, 2, 3, 4]
        assert [e.value for e in events.Scalars('stage')] == [0, 0, 1, 1]
        assert [e.step for e in events.Images('grass_sampling')] == [3, 4]

    def test_interval_and_nothing_kept_without_the_hook(self):
        runner = self.train([dict(type='GraSSVisualizationHook', interval=3)],
                            max_epochs=3,
                            warmup_epochs=1)
        images = glob.glob(osp.join(runner.log_dir, 'vis_data', 'vis_image', '*.png'))
        # iters 3 and 6 are drawn; 3 is the first GS iteration, 6 the last
        assert sorted(osp.basename(p)
                      for p in images) == ['grass_sampling_3.png', 'grass_sampling_6.png']
        runner = self.train([], '_plain', max_epochs=2, warmup_epochs=0)
        assert runner.model.keep_samples == 0 and runner.model.last_samples is None

    def test_the_dense_probe_reaches_tensorboard_from_random_init_on(self):
        split = dict(
            type='SyntheticAerialDataset',
            data_root=self.data_dir.name,
            data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'))
        runner = self.train(
            [
                dict(
                    type='DenseProbeHook',
                    train_split=split,
                    test_split=split,  # this class has no val images; the split is not the point
                    interval=1,
                    scale=0.5,
                    patch=8,
                    pixels_per_class=300)
            ],
            max_epochs=2)
        knn = runner.message_hub.get_scalar('probe/knn_mAcc').data[0]
        assert len(knn) == 3  # random init, after epoch 1, after epoch 2
        assert all(0 <= v <= 100 for v in knn)
        events = EventAccumulator(glob.glob(osp.join(runner.log_dir, 'vis_data', 'events*'))[0])
        events.Reload()
        for key in ('probe/linear_mIoU', 'probe/linear_aAcc', 'probe/knn_mAcc'):
            assert [e.step for e in events.Scalars(key)] == [0, 2, 4]
        assert [e.step for e in events.Scalars('probe/floor_mIoU')] == [0]

    def test_the_hooks_refuse_a_model_without_sampling(self):
        cfg = tiny_grass_cfg(self.data_dir.name, self.temp_dir.name)
        for key in ('guide', 'sampler', 'guide_scale'):
            cfg.model.pop(key)
        cfg.model.type = 'SimCLR'
        cfg.custom_hooks = [dict(type='GraSSVisualizationHook')]
        with pytest.raises(TypeError, match='needs a GraSS model, got SimCLR'):
            self.build_runner(cfg).train()


@pytest.mark.parametrize('kwargs', [dict(interval=0), dict(num_views=0), dict(interval=1.5)])
def test_bad_arguments_name_the_key(kwargs):
    with pytest.raises(ValueError, match=f'GraSSVisualizationHook: {next(iter(kwargs))}'):
        GraSSVisualizationHook(**kwargs)
