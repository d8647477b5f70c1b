"""The paired runner end to end: one init, one shared warm-up, continuations, probes, record."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

import grass_mm
from grass_mm.benchmark import PairedPlan, load_paired_matrix
from grass_mm.benchmark.record import merge_cells, seed_cells
from grass_mm.benchmark.results import write_tables
from grass_mm.engine.hooks import batch_digest
from tests.helpers import REPO, tiny_grass_cfg


def test_batch_digest_sees_every_byte_and_the_view_order():
    a = [torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.ones(2, 3, 4, 4, dtype=torch.uint8)]
    b = [v.clone() for v in a]
    assert batch_digest(dict(inputs=a)) == batch_digest(dict(inputs=b))
    b[1][1, 2, 3, 3] = 2
    assert batch_digest(dict(inputs=a)) != batch_digest(dict(inputs=b))
    assert batch_digest(dict(inputs=a)) != batch_digest(dict(inputs=a[::-1]))


def write_configs(synthetic_root: str, tmp) -> dict:
    cfg = tiny_grass_cfg(synthetic_root, str(tmp / 'unused'), max_epochs=2, warmup_epochs=1)
    # Workers draw the augmentations, as in the benchmark configs: the model's own randomness
    # (the control's boxes) must not reach the data.
    cfg.train_dataloader.num_workers = 1
    cfg.default_hooks.checkpoint.interval = 1
    paths = dict(
        grass=str(tmp / 'grass.py'), control=str(tmp / 'control.py'), simclr=str(tmp / 'simclr.py'))
    cfg.dump(paths['grass'])
    cfg.model.sampler = dict(type='RandomBoxSampler')
    cfg.dump(paths['control'])
    cfg.model = dict(cfg.model, type='SimCLR')
    for key in ('sampler', 'guide', 'guide_scale', 'stage'):
        cfg.model.pop(key, None)
    cfg.custom_hooks = []
    cfg.dump(paths['simclr'])
    return paths


def test_a_resumed_fine_tuning_keeps_its_whole_validation_curve(tmp_path):
    from grass_mm.utils.scalars import last_scalars, scalar_curve

    # Two runs of one work dir, as mmengine writes them when a training resumes.
    for run, records in (('20261203_100000', [dict(step=300, mIoU=30.0),
                                              dict(step=310, loss=1)]),
                         ('20261203_110000', [dict(step=600, mIoU=35.0),
                                              dict(step=900, mIoU=33.0)])):
        (tmp_path / run / 'vis_data').mkdir(parents=True)
        (tmp_path / run / 'vis_data' / 'scalars.json').write_text(''.join(
            json.dumps(r) + '\n' for r in records))
    assert scalar_curve(str(tmp_path), 'mIoU') == [[300, 30.0], [600, 35.0], [900, 33.0]]
    assert last_scalars(str(tmp_path), 'mIoU')['mIoU'] == 33.0


def test_bad_matrix_names_the_key(tmp_path):
    path = tmp_path / 'matrix.py'
    path.write_text("work_dir = 'x'\npretrain_seeds = [0]\n")
    with pytest.raises(KeyError, match='warmup'):
        load_paired_matrix(str(path))
    grass = osp.join(REPO, 'configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py')
    path.write_text(f"""work_dir = 'x'
pretrain_seeds = [0]
probe_epochs = [3]
probe = dict()
warmups = dict(simclr_warmup=dict(config={grass!r}, epochs=3))
arms = dict(grass=dict(config={grass!r}, from_='warmup', warmup='moco_warmup'))
""")
    with pytest.raises(
            KeyError,
            match="arms.grass.warmup='moco_warmup' is not one of the "
            "warm-ups \\['simclr_warmup'\\]"):
        load_paired_matrix(str(path))


def test_an_arm_not_in_the_matrix_is_refused_before_any_step(tmp_path):
    matrix = load_paired_matrix(osp.join(REPO, 'configs/benchmark_matrix/dubai_aerial_v4_byol.py'))
    matrix.work_dir = str(tmp_path / 'runs')
    with pytest.raises(
            KeyError,
            match=r"arms \['gs_moco'\] are not in the matrix "
            r"\(its arms: \['byol', 'gs_byol', 'gs_byol_random_boxes'\]\)"):
        PairedPlan(matrix, 0).run(['gs_byol', 'gs_moco'])
    assert not osp.exists(matrix.work_dir)


PRESETS = ('potsdam', 'vaihingen', 'loveda_urban', 'loveda_rural')


@pytest.mark.parametrize('name', PRESETS)
def test_each_gpu_preset_pairs_every_base_method_with_its_gs_twin_from_one_warmup(name):
    """Every warm-up is a GS config whose stage hook switches where the warm-up stops; its arms
    are that GS config and its base method's config (the random-box control beside GraSS), all
    on the preset's dataset, and the mmseg step fine-tunes every arm and the init."""
    matrix = load_paired_matrix(osp.join(REPO, f'configs/benchmark_matrix/{name}_r50_gpu.py'))
    dataset = name.replace('_', '-')
    families = {}
    for arm, spec in matrix.arms.items():
        assert spec.config.endswith(f'_resnet50_1xb256-coslr-350e_{dataset}.py'), spec.config
        families.setdefault(spec.warmup, []).append(arm)
    assert families == dict(
        simclr_warmup=['simclr', 'grass', 'grass_random_boxes'],
        mocov2_warmup=['mocov2', 'gs_mocov2'],
        byol_warmup=['byol', 'gs_byol'],
        densecl_warmup=['densecl', 'gs_densecl'])
    for warmup, arms in families.items():
        spec = matrix.warmups[warmup]
        gs = Config.fromfile(spec.config)
        hooks = {h.type: h for h in gs.custom_hooks}
        assert hooks['GraSSStageHook'].warmup_epochs == spec.epochs == 35
        base = Config.fromfile(matrix.arms[arms[0]].config)
        assert gs.model.type in ('GraSS', 'GS' + base.model.type.replace('MoCo', 'MoCoV2'))
        assert gs.model.backbone == base.model.backbone and gs.model.backbone.depth == 50
        assert gs.train_dataloader.dataset.data_root == base.train_dataloader.dataset.data_root
        assert gs.optim_wrapper == base.optim_wrapper
    assert matrix.segmentation.arms == ['random', *matrix.arms]
    assert {tuple(p) for p in matrix.gs_pairs} <= {tuple(c) for c in matrix.comparisons}


def test_every_warmup_starts_from_the_one_shared_backbone(tmp_path):
    """MoCo v2's init takes the shared init's backbone, keeps its own neck from the seed."""
    from grass_mm.benchmark.paired import make_init
    grass = osp.join(REPO, 'configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py')
    moco = osp.join(REPO, 'configs/gs/gs-mocov2_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py')
    make_init(grass, 0, str(tmp_path / 'init.pth'))
    make_init(moco, 0, str(tmp_path / 'own.pth'))
    make_init(moco, 0, str(tmp_path / 'shared.pth'), backbone_of=str(tmp_path / 'init.pth'))
    init, own, shared = (
        torch.load(tmp_path / f, weights_only=False)['state_dict']
        for f in ('init.pth', 'own.pth', 'shared.pth'))
    backbone = [k for k in init if k.startswith('backbone.')]
    assert not all(torch.equal(init[k], own[k]) for k in backbone)  # the test can fail
    assert all(torch.equal(init[k], shared[k]) for k in backbone)
    neck = [k for k in own if k.startswith('neck.')]
    assert neck and all(torch.equal(own[k], shared[k]) for k in neck)


def test_steps_run_the_packages_modules_one_process_or_under_torchrun(tmp_path):
    from grass_mm.benchmark.steps import train_command
    assert train_command('c.py', str(tmp_path), 1) == [
        sys.executable, '-m', 'grass_mm.cli.train', 'c.py', '--work-dir',
        str(tmp_path)
    ]
    assert train_command(
        'c.py', str(tmp_path), 1, resume='w/epoch_3.pth')[-2:] == ['--resume', 'w/epoch_3.pth']
    (tmp_path / 'epoch_1.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    # An interrupted run resumes from its own checkpoint, not from the warm-up's.
    argv = train_command('c.py', str(tmp_path), 4, resume='w/epoch_3.pth')
    assert argv[:4] == [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=4']
    assert argv[5:] == [
        '-m', 'grass_mm.cli.train', 'c.py', '--work-dir',
        str(tmp_path), '--launcher', 'pytorch', '--resume'
    ]


@pytest.mark.slow
def test_paired_arms_share_init_warmup_and_batches(synthetic_root, shared_data, tmp_path):
    """One tiny paired seed, run from a folder that holds the matrix file only, by a copy of the
    package alone (no checkout, no scripts on any path)."""
    paths = write_configs(synthetic_root, tmp_path)
    run_dir, site = tmp_path / 'run', tmp_path / 'site'
    run_dir.mkdir()
    shutil.copytree(
        osp.dirname(grass_mm.__file__),
        site / 'grass_mm',
        ignore=shutil.ignore_patterns('__pycache__', '.mim'))
    seg_config = osp.join(
        REPO,
        'configs/benchmarks/dubai_aerial/fcn_r18-d8_1xb8-1200i-frozen_dubai-aerial-loto-128x128.py')
    matrix_file = run_dir / 'matrix.py'
    matrix_file.write_text(f"""
work_dir = {str(tmp_path / 'runs')!r}
record_dir = {str(tmp_path / 'record')!r}
pretrain_seeds = [0]
warmup = dict(config={paths['grass']!r}, epochs=1)
arms = dict(simclr=dict(config={paths['simclr']!r}, from_='warmup'),
            grass=dict(config={paths['grass']!r}, from_='warmup'),
            grass_random_boxes=dict(config={paths['control']!r}, from_='warmup'))
checkpoint_interval = 1
probe_epochs = [1, 2]
probe = dict(stages=[4], fractions=[1.0, 0.5], subset_seed=0, seed=0,
             extra_args=['--tiles', '6', '7', '--scale', '0.15', '--pixels-per-class', '200',
                         '--data-root', {osp.join(shared_data, 'dubai_aerial')!r}])
# A real mmseg fine-tuning per arm, two iterations on the tile with the smallest images.
segmentation = dict(
    config={seg_config!r},
    arms=['random', 'grass'], pretrain_seeds=[0], epoch=2, fold=2, seed=0,
    convert_dubai_aerial={osp.join(shared_data, 'dubai_aerial')!r},
    data_root={str(tmp_path / 'seg_data')!r},
    cfg_options=dict(
        train_cfg=dict(max_iters=2, val_interval=2),
        train_dataloader=dict(batch_size=2, num_workers=0, persistent_workers=False),
        val_dataloader=dict(num_workers=0, persistent_workers=False),
        test_dataloader=dict(num_workers=0, persistent_workers=False)))
""")
    child = subprocess.run(
        [
            sys.executable, '-c', 'import grass_mm; print(grass_mm.__file__); '
            'from grass_mm.benchmark import load_paired_matrix, run_paired_seed; '
            "run_paired_seed(load_paired_matrix('matrix.py'), 0)"
        ],
        cwd=run_dir,
        env=dict(os.environ, PYTHONPATH=str(site) + os.pathsep + os.environ.get('PYTHONPATH', '')),
        capture_output=True,
        text=True)
    assert child.returncode == 0, child.stdout[-2000:] + child.stderr[-3000:]
    assert child.stdout.startswith(str(site / 'grass_mm'))
    assert sorted(os.listdir(run_dir)) == ['matrix.py']  # the steps wrote only to work_dir
    matrix = load_paired_matrix(str(matrix_file))
    lines = []
    plan = PairedPlan(matrix, 0, log=lines.append)
    # One init, one warm-up: the continuations start from its checkpoint.
    warm = torch.load(plan.checkpoint('warmup', 1), map_location='cpu', weights_only=False)
    for arm in ('simclr', 'grass', 'grass_random_boxes'):
        assert plan.checkpoint(arm, 1) == plan.checkpoint('warmup', 1)
        assert osp.isfile(plan.checkpoint(arm, 2))
    init = torch.load(plan.init, map_location='cpu', weights_only=False)['state_dict']
    assert not torch.equal(init['backbone.conv1.weight'],
                           warm['state_dict']['backbone.conv1.weight'])
    # Byte-identical first batches across the arms, which start at the warm-up's iteration.
    digests = {
        arm: json.load(open(osp.join(plan.arm_dir(arm), 'batch_digests.json')))
        for arm in ('simclr', 'grass', 'grass_random_boxes')
    }
    assert digests['simclr'] == digests['grass'] == digests['grass_random_boxes']
    assert digests['grass'][0]['iter'] == warm['meta']['iter']
    # The GS arms ran GS after the warm-up.
    for arm in ('grass', 'grass_random_boxes'):
        path, = glob.glob(osp.join(plan.arm_dir(arm), '*', 'vis_data', 'scalars.json'))
        scalars = open(path).read()
        assert '"stage": 1.0' in scalars
    # The fine-tunings: the fold held out, each arm's own backbone in, a curve out.
    for arm, source in (('random', plan.init), ('grass', plan.checkpoint('grass', 2))):
        wd = osp.join(plan.dir, 'seg', f"{arm}_ep{0 if arm == 'random' else 2}_ft0")
        result = json.load(open(osp.join(wd, 'result.json')))
        assert 0 <= result['mIoU'] <= 100 and result['curve'][-1] == [2, result['mIoU']]
        run = Config.fromfile(osp.join(wd, 'run_config.py'))
        assert run.train_dataloader.dataset.tiles == [1, 3, 4, 5, 6, 7]
        assert run.val_dataloader.dataset.tiles == [2]
        backbone = torch.load(osp.join(wd, 'backbone.pth'), weights_only=True)['state_dict']
        trained = torch.load(source, map_location='cpu', weights_only=False)['state_dict']
        assert torch.equal(backbone['conv1.weight'], trained['backbone.conv1.weight'])
    # A rerun does nothing: every output exists.
    lines.clear()
    plan.run()
    assert lines == []
    # The record and its tables.
    cells = merge_cells(str(tmp_path / 'record' / 'cells.json'), seed_cells(matrix, plan.dir, 0))
    probes = [c for c in cells if c['kind'] == 'probe']
    assert {c['method']
            for c in probes} == {'floor', 'random', 'simclr', 'grass', 'grass-random-boxes'}
    assert {(c['readout'], c['fraction'])
            for c in probes if c['method'] == 'grass'} == {('linear', 1.0), ('linear', 0.5),
                                                           ('knn', 1.0)}
    # The warm-up's probe is every continuation's epoch-1 point.
    ep1 = {c['method']: c['metrics'] for c in probes if c['epoch'] == 1 and c['readout'] == 'knn'}
    assert ep1['simclr'] == ep1['grass'] == ep1['grass-random-boxes']
    text = write_tables(cells, matrix, str(tmp_path / 'record'), draws=200)
    assert '| floor (majority class) |' in text and '| grass − simclr | linear mIoU |' in text
    assert 'byte-identical' in text and (tmp_path / 'record' / 'curves.png').is_file()
    seg = {c['method']: c for c in cells if c['kind'] == 'segmentation'}
    assert set(seg) == {'random', 'grass'} and seg['grass']['fold'] == 2
    assert ('| fcn_r18-d8_1xb8-1200i-frozen_dubai-aerial-loto-128x128 | 0 | 2 | 0 | grass | 2 |'
            in text)
