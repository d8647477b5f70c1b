"""update_transforms, and configs whose named view pipeline is the one their data uses."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from grass_mm.utils import update_transforms
from tests.helpers import REPO, load_config


def test_update_transforms_finds_nested_transforms_by_type():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'rs_pretrain_128.py'))
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert update_transforms(pipeline, 'RandomResizedCrop', scale=64) == 1
    assert update_transforms(pipeline, 'ColorJitter', hue=0) == 1  # inside RandomApply
    views = pipeline[1].transforms[0]
    assert views[0].scale == 64 and views[2].transforms[0].hue == 0
    assert views[2].transforms[0].brightness == 0.8  # the rest untouched
    with pytest.raises(KeyError, match=r'no Resize in the pipeline \(types: .*MultiView.*\)'):
        update_transforms(pipeline, 'Resize', scale=64)


def _multiview_views(dataset):
    if 'datasets' in dataset:
        return [v for d in dataset.datasets for v in _multiview_views(d)]
    if 'dataset' in dataset:
        return _multiview_views(dataset.dataset)
    return [t.transforms for t in dataset.pipeline if t.type in ('MultiView', 'LabelledMultiView')]


PRETRAIN = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
    if 'Config' not in p and '/benchmarks/' not in p and '/benchmark_matrix/' not in p)


@pytest.mark.parametrize('path', PRETRAIN, ids=osp.basename)
def test_the_named_view_pipeline_is_the_one_the_data_uses(path):
    """A config that changes a view transform by name changes what training sees, and its
    ``view_pipeline`` variable says so (no stale variable beside an edited dataset)."""
    cfg = load_config(path)
    if 'view_pipeline' not in cfg:
        pytest.skip('no named view pipeline')
    views = _multiview_views(cfg.train_dataloader.dataset)
    assert views and all(v == [cfg.view_pipeline] for v in views)
    crops = [
        t for t in cfg.view_pipeline if t.type in ('RandomResizedCrop', 'LabelledRandomResizedCrop')
    ]
    assert [c.scale for c in crops] == [cfg.view_size]


def test_scale_schedule_keeps_the_shape_and_a_warm_up_before_gs():
    from grass_mm.utils import scale_schedule
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'grass', 'grass_resnet18_1xb16-coslr-30e_synthetic-128px.py'))
    scale_schedule(cfg, 2)
    linear, cosine = cfg.param_scheduler
    assert (linear.begin, linear.end) == (0, 1) and (cosine.begin, cosine.end) == (1, 2)
    assert cosine.T_max == 1 and cfg.train_cfg.max_epochs == 2
    stage = next(h for h in cfg.custom_hooks if h.type == 'GraSSStageHook')
    assert stage.warmup_epochs == 1  # one warm-up epoch, one GS epoch
    scale_schedule(cfg, 20)
    assert (cfg.param_scheduler[1].begin, cfg.param_scheduler[1].end) == (10, 20)
    # One epoch: the learning-rate warm-up fills it, the cosine after it is never reached (an
    # empty span that mmengine refuses: demo.py --pretrain-epochs 1 failed on it), GS at once.
    scale_schedule(cfg, 1)
    assert [(s.type, s.begin, s.end) for s in cfg.param_scheduler] == [('LinearLR', 0, 1)]
    assert stage.warmup_epochs == 0  # (the same dict, scaled in place)


def test_scale_iters_ends_schedule_validation_and_checkpoint_together():
    from grass_mm.utils import scale_iters
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'benchmarks', 'synthetic',
                 'fcn_r18-d8_1xb8-400i_synthetic-128x128.py'))
    scale_iters(cfg, 4)
    assert cfg.train_cfg.max_iters == cfg.train_cfg.val_interval == 4
    assert cfg.param_scheduler[0].end == 4 and cfg.default_hooks.checkpoint.interval == 4
    assert cfg.default_hooks.logger.interval == 4


def test_set_workers_persists_only_with_workers():
    from grass_mm.utils import set_workers
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'benchmarks', 'synthetic',
                 'fcn_r18-d8_1xb8-400i_synthetic-128x128.py'))
    set_workers(cfg, 0)
    loaders = [cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader]
    assert all(d.num_workers == 0 and not d.persistent_workers for d in loaders)
    set_workers(cfg, 2)
    assert all(d.num_workers == 2 and d.persistent_workers for d in loaders)
    cfg.val_dataloader.num_workers = 0
    set_workers(cfg, None)  # the config's own counts kept
    assert cfg.train_dataloader.persistent_workers and not cfg.val_dataloader.persistent_workers


def test_a_gs_run_without_its_stage_switch_is_refused_unless_meant():
    from grass_mm.utils.config import check_stage_switch
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'grass', 'grass_resnet18_1xb16-coslr-30e_synthetic-128px.py'))
    check_stage_switch(cfg)  # the shipped config has its hook
    cfg.custom_hooks = [dict(type='GraSSVisualizationHook')]  # overridden, the switch dropped
    with pytest.raises(
            ValueError,
            match="GraSS starts in stage 'warmup'.*GraSSVisualizationHook"
            r".*dict\(type='GraSSStageHook'"):
        check_stage_switch(cfg)
    cfg.warmup_only = True
    check_stage_switch(cfg)
    cfg.warmup_only, cfg.model.stage = False, 'gs'  # GS from the first step needs no switch
    check_stage_switch(cfg)
