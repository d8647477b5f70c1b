"""Every config loads and builds; GraSS and its SimCLR twin differ only in the algorithm."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from tests.helpers import REPO, load_config

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
GRASS = [c for c in CONFIGS if '/configs/grass/grass_' in c]
SAME_BUDGET = ('train_dataloader', 'optim_wrapper', 'param_scheduler', 'train_cfg', 'randomness')

MODEL_CONFIGS = [c for c in CONFIGS if '/_base_/' not in c and '/benchmark_matrix/' not in c]


@pytest.mark.parametrize('path', MODEL_CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds_its_model(path):
    """Every pretraining and segmentation config builds its model in its own scope (a misspelt
    type, an argument the class does not take or a wrong depth fails here, not in a user's run)."""
    cfg = load_config(path)
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope == 'mmseg':
        from mmseg.registry import MODELS as registry
    else:
        registry = MODELS
    # On the meta device: the classes and their arguments are checked, the weights' random
    # initialisation (seconds for a ResNet-50 head on CPU) is skipped. A model whose constructor
    # reads a tensor's value (a drop-path schedule's .item()) is built for real.
    with DefaultScope.overwrite_default_scope(scope):
        try:
            with torch.device('meta'):
                model = registry.build(cfg.model)
        except RuntimeError as err:
            if 'meta' not in str(err):
                raise
            model = registry.build(cfg.model)
    assert type(model).__name__ == cfg.model.type


@pytest.mark.parametrize('path', GRASS, ids=osp.basename)
def test_simclr_twin_has_the_same_data_schedule_and_networks(path):
    grass = load_config(path)
    twin = load_config(path.replace('/grass/grass_', '/simclr/simclr_'))
    for key in SAME_BUDGET:
        assert grass[key] == twin[key], key
    for key in ('backbone', 'neck', 'head', 'data_preprocessor'):
        assert grass.model[key] == twin.model[key], key
    assert grass.model.type == 'GraSS' and twin.model.type == 'SimCLR'
    hooks = [h.type for h in grass.custom_hooks]
    assert hooks[:2] == ['GraSSStageHook', 'GraSSVisualizationHook']
    # Only the stage hooks differ: the online probe, if any, is the same for both.
    assert [h for h in grass.custom_hooks
            if h.type not in hooks[:2]] == twin.get('custom_hooks', [])
    assert grass.model.head.temperature == 0.5


BASELINES = [c for c in CONFIGS if re.search(r'/configs/(mocov2|byol|densecl)/', c)]


@pytest.mark.parametrize('path', BASELINES, ids=osp.basename)
def test_baselines_share_data_epochs_batch_and_backbone_with_grass(path):
    method = osp.basename(osp.dirname(path))
    baseline = load_config(path)
    grass = load_config(path.replace(f'/{method}/{method}_', '/grass/grass_'))
    for key in ('train_dataloader', 'train_cfg', 'randomness'):
        assert baseline[key] == grass[key], key
    assert baseline.model.backbone.depth == grass.model.backbone.depth
    assert baseline.model.data_preprocessor == grass.model.data_preprocessor
    assert baseline.model.type == dict(mocov2='MoCo', byol='BYOL', densecl='DenseCL')[method]
    # No stage hooks; the same online probe as GraSS's config.
    assert baseline.get('custom_hooks') == [
        h for h in grass.custom_hooks if h.type not in ('GraSSStageHook', 'GraSSVisualizationHook')
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        MODELS.build(baseline.model)


GS_PLUGINS = [c for c in CONFIGS if '/configs/gs/' in c and '-random-boxes' not in c]


@pytest.mark.parametrize('path', GS_PLUGINS, ids=osp.basename)
def test_gs_plugin_is_its_base_method_plus_the_sampling_and_the_switch(path):
    method = osp.basename(path).split('_')[0][len('gs-'):]
    gs = load_config(path)
    base = load_config(osp.join(REPO, 'configs', method, osp.basename(path)[len('gs-'):]))
    gs_type = gs.model.pop('type')
    assert gs_type == 'GS' + dict(mocov2='MoCoV2', byol='BYOL', densecl='DenseCL')[method]
    for key in ('guide', 'sampler'):
        gs.model.pop(key)
    base.model.pop('type')
    assert gs.model == base.model
    for key in SAME_BUDGET:
        assert gs[key] == base[key], key
    grass = load_config(path.replace(f'/gs/gs-{method}_', '/grass/grass_'))
    assert gs.custom_hooks == grass.custom_hooks  # the same warm-up as GraSS's config
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert type(MODELS.build(dict(gs.model, type=gs_type))).__name__ == gs_type


@pytest.mark.parametrize(
    'path', [p for p in GRASS if 'resnet50' in p and 'rgbir' not in p], ids=osp.basename)
def test_reference_setting(path):
    cfg = load_config(path)
    assert cfg.model.backbone.depth == 50 and cfg.train_dataloader.batch_size == 256
    views = cfg.train_dataloader.dataset.pipeline[1].transforms[0]
    assert views[0] == dict(
        type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.), backend='pillow')
    assert cfg.optim_wrapper.optimizer == dict(type='LARS', lr=4.8, momentum=0.9, weight_decay=1e-6)
    assert cfg.train_cfg.max_epochs == 350 and cfg.param_scheduler[0].start_factor == 0.125
    assert cfg.param_scheduler[1].eta_min == 0.0048
    assert cfg.model.guide == 'efficient'
    assert cfg.model.sampler == dict(
        type='GradientBoxSampler', threshold_ratio=0.5, crop_interpolation='nearest')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    assert model.stage == 'warmup' and model.neck.fc1.out_features == 128


@pytest.mark.parametrize('path', [c for c in CONFIGS if '/benchmarks/' in c], ids=osp.basename)
def test_segmentation_configs_use_the_plain_stem_and_check_it(path):
    cfg = load_config(path)
    assert cfg.model.backbone.type == 'ResNet' and cfg.model.pretrained is None
    bands = cfg.model.backbone.get('in_channels', 3)
    assert cfg.model.backbone.init_cfg.type == ('Pretrained' if bands == 3 else 'PretrainedBands')
    assert len(cfg.model.data_preprocessor.mean) == bands
    assert 'PretrainedCheckHook' in [h.type for h in cfg.custom_hooks]


def test_dubai_pretraining_reads_training_tiles_only(shared_data, monkeypatch):
    from mmpretrain.registry import DATASETS
    monkeypatch.setenv('GRASS_MM_DATA', shared_data)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'grass', 'grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        views = dataset[0]['inputs']
    inner = dataset.dataset  # RepeatDataset -> ConcatDataset of the tiles and scenes
    paths = [inner.get_data_info(i)['img_path'] for i in range(len(inner))]
    assert len(paths) == 54 + 11 and len(dataset) == 4 * 65
    assert not [p for p in paths if 'Tile 7' in p]  # the validation tile never leaks
    assert len(views) == 2 and views[0].shape == (3, 128, 128)


def test_label_fraction_config_trains_on_a_tenth_of_the_real_tiles(dubai_mmseg):
    from mmseg.registry import DATASETS as SEG_DATASETS
    cfg = load_config(
        osp.join(REPO, 'configs', 'benchmarks', 'dubai_aerial',
                 'fcn_r18-d8_1xb8-400i_dubai-aerial-10pct-labels-128x128.py'))
    cfg.train_dataloader.dataset.dataset.data_root = dubai_mmseg
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = SEG_DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 5  # round(0.1 * 54)
    assert all('tile7' not in dataset.get_data_info(i)['img_path'] for i in range(5))


@pytest.mark.parametrize('depth,heads',
                         [(18, ('fcn_r18-d8', 'deeplabv3plus_r18-d8', 'upernet_r18')),
                          (50, ('fcn_r50-d8', 'deeplabv3plus_r50-d8', 'upernet_r50'))])
@pytest.mark.slow
def test_every_decode_head_takes_an_mmpretrain_resnet_whole(depth, heads, tmp_path):
    """Built from our model bases, each backbone is initialised from an mmpretrain ResNet with
    every tensor equal to the file's (what PretrainedCheckHook enforces in a run)."""
    import torch
    from mmpretrain.models import ResNet
    from mmseg.registry import MODELS as SEG_MODELS

    from grass_mm.engine.hooks import compare_with_checkpoint
    path = str(tmp_path / 'backbone.pth')
    torch.save({'state_dict': ResNet(depth=depth).state_dict()}, path)
    for head in heads:
        cfg = load_config(osp.join(REPO, 'configs', '_base_', 'seg', 'models', f'{head}_plain.py'))
        cfg.model.backbone.init_cfg.checkpoint = path
        with DefaultScope.overwrite_default_scope('mmseg'):
            model = SEG_MODELS.build(cfg.model)
        model.init_weights()
        assert compare_with_checkpoint(model.backbone.state_dict(), path) == [], head


PRETRAIN = [c for c in CONFIGS if re.search(r'/configs/(grass|simclr|mocov2|byol|densecl|gs)/', c)]
V2_FINETUNE = sorted(
    glob.glob(osp.join(REPO, 'configs', 'benchmarks', 'dubai_aerial', '*loto*.py')))


@pytest.mark.parametrize('path', PRETRAIN + V2_FINETUNE, ids=lambda p: osp.relpath(p, REPO))
def test_one_initialisation_rule_for_every_pretraining_and_the_random_init_arm(path):
    """Zero-init of each residual branch's last BN everywhere (mmseg's random-init default, and
    SimCLR's): otherwise part of a "method" difference is an initialisation difference."""
    backbone = load_config(path).model.backbone
    assert backbone.get('zero_init_residual') is True, path


def test_v2_protocol_is_five_classes_at_one_scale_with_folds_by_tile():
    cfg = load_config(V2_FINETUNE[0])
    assert cfg.model.decode_head.num_classes == 5 and len(cfg.classes) == 5
    train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    assert sorted(train.tiles + val.tiles) == list(range(1, 8))
    assert not set(train.tiles) & set(val.tiles)
    scales = [
        t['scale_factor'] for t in cfg.train_pipeline + cfg.test_pipeline if t['type'] == 'Resize'
    ]
    assert scales == [0.5, 0.5]  # one factor for training and test
    assert not any(t['type'] == 'RandomResize' for t in cfg.train_pipeline)
    # The learning rate is constant from warm-up end to the last quarter of the schedule.
    poly = [s for s in cfg.param_scheduler if s['type'] == 'PolyLR'][0]
    assert poly['begin'] >= 0.75 * cfg.train_cfg.max_iters


@pytest.mark.parametrize('sampled', ['grass/grass', 'gs/gs-byol'])
def test_random_box_control_differs_from_its_sampled_twin_in_the_sampler_only(sampled):
    name = '{}_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
    twin = load_config(osp.join(REPO, 'configs', name.format(sampled)))
    control = load_config(osp.join(REPO, 'configs', name.format(sampled + '-random-boxes')))
    assert control.model.sampler.pop('type') == 'RandomBoxSampler'
    assert twin.model.sampler.pop('type') == 'GradientBoxSampler'
    assert control.model == twin.model  # the same threshold and crop mode
    for key in SAME_BUDGET + ('custom_hooks', ):
        assert control[key] == twin[key], key


def test_model_index_imports_metafiles_whose_configs_exist():
    import yaml
    index = yaml.safe_load(open(osp.join(REPO, 'model-index.yml')))
    assert index['Import'], 'model-index.yml imports nothing'
    for metafile in index['Import']:
        meta = yaml.safe_load(open(osp.join(REPO, metafile)))
        collections = {c['Name'] for c in meta['Collections']}
        names = {m['Name'] for m in meta['Models']}
        for c in meta['Collections']:
            assert osp.isfile(osp.join(REPO, c['README'])), c['README']
        for model in meta['Models']:
            assert model['In Collection'] in collections, model['Name']
            assert osp.isfile(osp.join(REPO, model['Config'])), model['Config']
            # mmpretrain's rule: a model is named after its config
            assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
            assert set(model.get('Downstream', [])) <= names, model['Name']


@pytest.mark.parametrize(
    'path', [
        c for c in CONFIGS
        if 'dubai-aerial' in c and '/benchmarks/' not in c and '/benchmark_matrix/' not in c
    ],
    ids=osp.basename)
def test_every_dubai_pretraining_config_probes_held_out_labels(path):
    """The online dense probe on tile 7, which no pretraining config reads."""
    cfg = load_config(path)
    probes = [h for h in cfg.custom_hooks if h.type == 'DenseProbeHook']
    assert len(probes) == 1
    assert probes[0].test_split.tiles == [7] and 7 not in probes[0].train_split.tiles
    sources = cfg.train_dataloader.dataset.dataset.datasets
    assert not any('Tile 7' in s.data_root for s in sources)
