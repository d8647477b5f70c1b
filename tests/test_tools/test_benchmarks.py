"""The benchmark matrix runner and collector, end to end on a tiny synthetic matrix."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine import Config

from grass_mm.utils import weights_sha256
from tests.helpers import GRASS_SYNTHETIC, REPO
from tests.test_tools.test_tools import run, tool_env

SEG = 'configs/benchmarks/synthetic/fcn_r18-d8_1xb8-400i_synthetic-128x128.py'


@pytest.mark.slow
def test_matrix_runs_resumes_and_collects(synthetic_root, tmp_path):
    tiny_loader = dict(batch_size=2, num_workers=0, persistent_workers=False)
    matrix = tmp_path / 'tiny_matrix.py'
    matrix.write_text(f'''
work_dir = {str(tmp_path / 'work')!r}
seg_data_root = {synthetic_root!r}
methods = dict(random=None, grass={GRASS_SYNTHETIC!r})
ablations = dict(grass_warmup0=dict(config={GRASS_SYNTHETIC!r}, cfg_options=dict(
    custom_hooks=[dict(type='GraSSStageHook', warmup_epochs=0)])))
ablation_cells = dict(seeds=[0])
downstream = dict(fcn=dict(full={SEG!r}))
fractions = [0.5]
seeds = [0, 1]
pretrain_cfg_options = dict(
    train_cfg=dict(max_epochs=2),
    train_dataloader=dict(batch_size=4, num_workers=0, persistent_workers=False,
                          dataset=dict(data_root={synthetic_root + '/img_dir/train'!r})),
    custom_hooks=[dict(type='GraSSStageHook', warmup_epochs=1)])
finetune_cfg_options = dict(
    train_cfg=dict(max_iters=2, val_interval=2),
    param_scheduler=[dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=2,
                          by_epoch=False)],
    default_hooks=dict(checkpoint=dict(interval=2)),
    train_dataloader={tiny_loader!r}, val_dataloader={tiny_loader!r},
    test_dataloader={tiny_loader!r})
names = dict(random='Random init', grass='GraSS', grass_warmup0='GraSS, warm-up 0 %')
comparison = dict(method='grass', reference='random', margin=1.5, min_seeds=2)
''')
    log = run([sys.executable, 'tools/benchmarks/run_matrix.py', str(matrix)], timeout=900)
    assert '7 cells (2 pretrainings, 5 fine-tunings)' in log
    work = tmp_path / 'work'
    results = sorted(str(p.relative_to(work)) for p in work.rglob('result.json'))
    assert len(results) == 7 and 'pretrain/random/result.json' not in results
    assert 'finetune/grass_warmup0/fcn_full_50pct-labels_seed1/result.json' not in results
    cell = json.loads((work / 'finetune/grass/fcn_full_50pct-labels_seed1/result.json').read_text())
    assert 0 <= cell['metrics']['mIoU'] <= 100 and 'IoU.building' in cell['metrics']
    assert cell['max_rss_gb'] > 0.1
    assert ', torch ' in cell['cpu']  # the processor and torch's kernels for it
    cfg = (work / 'finetune/grass/fcn_full_50pct-labels_seed1/run_config.py').read_text()
    assert "type='LabelFraction'" in cfg and 'pretrain/grass/backbone.pth' in cfg
    assert 'init_cfg=None' in (work / 'finetune/random/fcn_full_50pct-labels_seed0/'
                               'run_config.py').read_text()
    # Resumable: a second run skips every finished cell.
    log = run([sys.executable, 'tools/benchmarks/run_matrix.py', str(matrix)])
    assert log.count('done before') == 7
    # A pretraining whose result.json alone was lost is taken up again with its own backbone...
    pre = work / 'pretrain' / 'grass'
    sha = json.loads((pre / 'result.json').read_text())['backbone_sha256']
    (pre / 'result.json').unlink()
    run([sys.executable, 'tools/benchmarks/run_matrix.py', str(matrix), '--methods', 'grass'])
    assert json.loads((pre / 'result.json').read_text())['backbone_sha256'] == sha
    # ...but one older than the checkpoint (left from an earlier pretraining in the folder) is
    # refused, not fine-tuned from.
    (pre / 'result.json').rename(tmp_path / 'grass_result.json')
    os.utime(pre / 'backbone.pth', (0, 0))
    stale = subprocess.run(
        [sys.executable, 'tools/benchmarks/run_matrix.py',
         str(matrix), '--methods', 'grass'],
        cwd=REPO,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=600)
    assert stale.returncode != 0 and 'backbone.pth is older than' in stale.stdout, stale.stdout
    assert not (pre / 'result.json').exists()
    (tmp_path / 'grass_result.json').rename(pre / 'result.json')

    out = tmp_path / 'out'
    run([sys.executable, 'tools/benchmarks/collect_results.py', str(matrix), '--out', str(out)])
    text = (out / 'results.md').read_text()
    assert '### FCN, full fine-tuning, 50 % of the labels' in text
    assert '| Method | Backbone | Pretrain | Crop Size | Lr schd | Mem (GB) | mIoU |' in text
    row = [line for line in text.splitlines() if line.startswith('| FCN | R-18-D8 | GraSS |')]
    assert len(row) == 1 and ' ± ' in row[0] and '| 0,1 |' in row[0]
    # The trivial floor of the cell's validation split, from the metric, heads the table.
    floor = cell['metrics']['floor.mIoU']
    assert 0 < floor <= cell['metrics']['floor.aAcc'] <= 100
    assert f'| FCN | – | floor (majority class) | 128x128 | – | – | {floor:.2f} (aAcc' in text
    log = out / 'logs/grass/fcn_full_50pct-labels_seed1.log.json'
    assert f'[1]({log})' in row[0]
    assert json.loads(log.read_text().splitlines()[-1])['mIoU'] == cell['metrics']['mIoU']
    # The comparison and its target come from the matrix, names and margin included.
    assert '| GraSS mIoU | GraSS − Random init |' in text and 'Random init + 1.5 mIoU' in text
    # The ablation ran at seed 0 only: paired with GraSS's seed 0, not with its mean.
    miou = {
        m:
        json.loads((
            work /
            f'finetune/{m}/fcn_full_50pct-labels_seed0/result.json').read_text())['metrics']['mIoU']
        for m in ('grass', 'grass_warmup0')
    }
    ablations = text.split('### GraSS ablations')[1]
    assert (f"| GraSS, warm-up 0 % | FCN | full | 50 % | 0 | {miou['grass_warmup0']:.2f} | "
            f"{miou['grass_warmup0'] - miou['grass']:+.2f} |") in ablations
    assert osp.getsize(out / 'miou_vs_fraction.png') > 1000
    assert text.count('| FCN | R-18-D8 |') == 3
    assert not (out / 'metafile.yml').exists()  # per-algorithm metafiles are curated
    assert os.listdir(work / 'pretrain' / 'grass')  # nothing of the user's removed

    # Every cell is on record with the pretraining it started from, named by its weights.
    cells = json.loads((out / 'cells.json').read_text())
    assert len(cells) == 7 and not any('dir' in c or 'work_dir' in c for c in cells)
    assert all(c['cpu'] == cell['cpu'] for c in cells)
    pretrained = {c['method']: c['backbone_sha256'] for c in cells if c['kind'] == 'pretrain'}
    assert pretrained['grass'] == weights_sha256(str(work / 'pretrain/grass/backbone.pth'))
    assert pretrained['grass'] != pretrained['grass_warmup0']
    grass_cell = next(c for c in cells if c['method'] == 'grass' and c.get('seed') == 1)
    assert grass_cell['pretrained']['sha256'] == pretrained['grass']
    assert f"GraSS `{pretrained['grass'][:8]}`" in text
    # A later session whose work dir is gone publishes the same tables from that record...
    run([
        sys.executable, 'tools/benchmarks/collect_results.py',
        str(matrix), '--out',
        str(out), '--work-dir',
        str(tmp_path / 'lost')
    ])
    assert (out / 'results.md').read_text() == text
    # ...and refuses to average a row over seeds fine-tuned from different pretrainings.
    grass_cell['pretrained']['sha256'] = '0' * 64
    (out / 'cells.json').write_text(json.dumps(cells))
    refused = subprocess.run([
        sys.executable, 'tools/benchmarks/collect_results.py',
        str(matrix), '--out',
        str(out), '--work-dir',
        str(tmp_path / 'lost')
    ],
                             cwd=REPO,
                             env=tool_env(),
                             capture_output=True,
                             text=True)
    assert refused.returncode != 0
    assert 'grass, fcn full 50 %: the seeds come from different pretrainings' in refused.stderr


def _collector():
    import grass_mm.benchmark.collect as collector
    return collector


def _cell(**miou_per_seed):
    return {
        m: [dict(seed=s, metrics=dict(mIoU=v)) for s, v in enumerate(values)]
        for m, values in miou_per_seed.items()
    }


def test_comparison_is_paired_by_seed_and_gives_the_matrix_verdict():
    spec = dict(method='grass', reference='simclr', margin=1.5, min_seeds=3)

    def compare(cell, baselines, names):
        return _collector().compare(cell, baselines, names, spec)

    names = dict(simclr='SimCLR', random='Random init', mocov2='MoCo v2')
    # GraSS 2 points over SimCLR and above random init at every seed: target met.
    row = compare(
        _cell(grass=[22, 24, 23], simclr=[20, 22, 21], random=[21, 21, 21]), ['random', 'simclr'],
        names)
    assert row == [
        '0,1,2', '23.00 ± 1.00', '+2.00 ± 0.00', 'Random init (21.00)', '+2.00 ± 1.00', 'met', '2'
    ]
    # Only 1 point over SimCLR: not met.
    row = compare(_cell(grass=[21, 23, 22], simclr=[20, 22, 21]), ['simclr'], names)
    assert row[2] == '+1.00 ± 0.00' and row[-2] == 'not met (< SimCLR + 1.5)'
    # Differences of +3, -1, +1 (std 2): 2 standard errors of 1.5 points need (2*2/1.5)^2 seeds.
    row = compare(_cell(grass=[23, 21, 22], simclr=[20, 22, 21]), ['simclr'], names)
    assert row[2] == '+1.00 ± 2.00' and row[-2:] == ['not met (< SimCLR + 1.5)', '8']
    # Random init has seed 0 only: it is compared on seed 0, SimCLR on all three; open.
    row = compare(
        _cell(grass=[30, 10, 10], simclr=[20, 8, 8], random=[25]), ['random', 'simclr'], names)
    assert row == [
        '0,1,2', '16.67 ± 11.55', '+4.67 ± 4.62', 'SimCLR (12.00)', '+4.67 ± 4.62',
        'open: Random init 1 of 3 seeds', '38'
    ]
    row = compare(
        _cell(grass=[30, 10, 10], simclr=[20, 8, 8], random=[31]), ['random', 'simclr'], names)
    assert row[3:5] == ['Random init (31.00)', '-1.00 (seeds: 1)']
    # A baseline that has not run keeps a passing comparison open, but not a failing one.
    row = compare(_cell(grass=[23, 23, 23], simclr=[20, 20, 20]), ['simclr', 'mocov2'], names)
    assert row[-2] == 'open: MoCo v2 0 of 3 seeds'
    row = compare(
        _cell(grass=[23, 23, 23], simclr=[20, 20, 20], random=[24, 24, 24]),
        ['random', 'simclr', 'mocov2'], names)
    assert row[-2] == 'not met (< Random init)'
    assert compare(_cell(grass=[20]), ['simclr'], names) == []


def test_the_comparison_is_read_from_the_matrix_with_no_method_built_in():
    collector = _collector()
    # Any method against any reference: here MoCo v2 must lead BYOL by 1 point.
    matrix = Config(
        dict(
            methods=dict(byol='b.py', mocov2='m.py'),
            comparison=dict(method='mocov2', reference='byol', margin=1.0, min_seeds=2)))
    spec = collector.comparison_of(matrix)
    row = collector.compare(
        _cell(mocov2=[22, 24], byol=[20, 23]), ['byol'], dict(byol='BYOL'), spec)
    assert row[2] == '+1.50 ± 0.71' and row[-2] == 'met'
    assert collector.comparison_of(Config(dict(methods=dict(a=None)))) is None  # no summary
    with pytest.raises(KeyError, match="comparison.reference: 'simclr' is not one of methods"):
        collector.comparison_of(
            Config(
                dict(
                    methods=dict(grass='g.py'),
                    comparison=dict(method='grass', reference='simclr', margin=1, min_seeds=3))))


def test_fraction_plot_joins_only_points_of_one_pretraining():
    collector = _collector()

    def runs(sha, date, *miou):
        return [
            dict(seed=s, metrics=dict(mIoU=v), pretrained=sha and dict(sha256=sha, date=date))
            for s, v in enumerate(miou)
        ]

    groups = {
        ('fcn', 'full', 1.0):
        dict(simclr=runs('a' * 64, '2026-12-01', 30, 32), random=runs(None, None, 20)),
        ('fcn', 'full', 0.1):
        dict(simclr=runs('a' * 64, '2026-12-01', 20, 22), random=runs(None, None, 10)),
        ('fcn', 'frozen', 1.0):
        dict(simclr=runs(None, '2026-11-22', 25)),
        ('fcn', 'frozen', 0.1):
        dict(simclr=runs('b' * 64, '2026-12-01', 15))
    }
    assert collector.curves(groups, 'fcn', 'full', 'simclr') == [[(0.1, 21.0, 2**0.5),
                                                                  (1.0, 31.0, 2**0.5)]]
    assert len(collector.curves(groups, 'fcn', 'full', 'random')) == 1
    # The unhashed 2026-11-22 backbone and the 2026-12-01 one: two points, no line between.
    frozen = collector.curves(groups, 'fcn', 'frozen', 'simclr')
    assert sorted(len(line) for line in frozen) == [1, 1]


def test_published_log_keeps_only_what_the_final_run_stands_on(tmp_path):
    """A run started over replaces an interrupted one; a resume keeps what it resumed from."""

    def run_folder(cell, stamp, iters, val=False):
        vis = tmp_path / cell / stamp / 'vis_data'
        vis.mkdir(parents=True)
        lines = [dict(loss=1.0 / i, iter=i, step=i) for i in iters]
        lines += [dict(mIoU=13.85, step=iters[-1])] if val else []
        (vis / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in lines))

    read_scalars = _collector().read_scalars
    # Interrupted before its only checkpoint, then run again from scratch.
    run_folder('restarted', '20261201_163707', [50, 100, 150, 200])
    run_folder('restarted', '20261201_195325', [50, 100, 150, 200, 250, 300, 350, 400], val=True)
    records = read_scalars(str(tmp_path / 'restarted'))
    assert [r.get('iter') for r in records] == [50, 100, 150, 200, 250, 300, 350, 400, None]
    # Resumed from the checkpoint at iteration 16: iteration 24 is redone.
    run_folder('resumed', '20261201_091127', [8, 16, 24], val=True)
    run_folder('resumed', '20261201_101500', [24, 32])
    assert [r.get('iter') for r in read_scalars(str(tmp_path / 'resumed'))] == [8, 16, 24, 32]


def test_per_seed_report_pairs_grass_with_each_method_by_seed():
    """The per-seed figures the README's reading quotes: every seed, and GraSS − method."""
    collector = _collector()
    runs = [
        dict(r, method=m, head='fcn', protocol='full', fraction=0.1)
        for m, rs in _cell(grass=[18.25, 25.49], simclr=[23.94, 24.83]).items() for r in rs
    ]
    matrix = Config(
        dict(
            methods=dict(simclr='s.py', grass='g.py'),
            comparison=dict(method='grass', reference='simclr', margin=1.5, min_seeds=3)))
    report = collector.per_seed(matrix, runs)
    assert report.splitlines() == [
        'fcn full 10%', '  simclr seed 0: mIoU 23.94 ()', '  simclr seed 1: mIoU 24.83 ()',
        '  grass - simclr: -5.69 +0.66 (-2.52 ± 4.49)', '  grass seed 0: mIoU 18.25 ()',
        '  grass seed 1: mIoU 25.49 ()'
    ]


def test_another_pretraining_of_a_method_is_added_beside_the_published_one(tmp_path):
    """Rows fine-tuned from a published pretraining keep its record and log when the method is
    pretrained again to other weights; a pretraining that repeats the weights replaces it."""
    merge = _collector().merge

    def pretraining(name, sha, loss):
        run = tmp_path / name
        (run / '20261202_090843' / 'vis_data').mkdir(parents=True)
        (run / '20261202_090843' / 'vis_data' /
         'scalars.json').write_text(json.dumps(dict(loss=loss, iter=8, step=8)) + '\n')
        return dict(
            kind='pretrain',
            method='byol',
            config='byol.py',
            wall_s=1.0,
            max_rss_gb=1.0,
            cpu='cpu',
            backbone_sha256=sha,
            dir=str(run))

    out = tmp_path / 'out'
    (out / 'logs' / 'byol').mkdir(parents=True)
    published = dict(
        kind='pretrain',
        method='byol',
        date='2026-12-01',
        backbone_sha256='a' * 64,
        log='logs/byol/pretrain.log.json')
    (out / 'cells.json').write_text(json.dumps([published]))
    (out / 'logs/byol/pretrain.log.json').write_text('{"loss": -2.0}\n')

    records = merge(str(out), [pretraining('other', 'b' * 64, -3.0)])
    assert [(r['backbone_sha256'][0], r['date'], r['log'])
            for r in records] == [('a', '2026-12-01', 'logs/byol/pretrain.log.json'),
                                  ('b', '2026-12-02', 'logs/byol/pretrain_bbbbbbbb.log.json')]
    assert (out / 'logs/byol/pretrain.log.json').read_text() == '{"loss": -2.0}\n'
    assert json.loads((out / 'logs/byol/pretrain_bbbbbbbb.log.json').read_text())['loss'] == -3.0

    records = merge(str(out), [pretraining('repeat', 'a' * 64, -2.5)])
    assert [(r['backbone_sha256'][0], r['date'], r['log'])
            for r in records] == [('a', '2026-12-02', 'logs/byol/pretrain.log.json'),
                                  ('b', '2026-12-02', 'logs/byol/pretrain_bbbbbbbb.log.json')]
    assert json.loads((out / 'logs/byol/pretrain.log.json').read_text())['loss'] == -2.5


@pytest.mark.slow
def test_smoke_matrix_derives_a_tiny_run_of_a_gpu_preset_on_a_real_crop(shared_data, tmp_path):
    """The derived matrix (dry run): the crop as both splits, GraSS switching after 1 epoch, every
    cell at a tiny schedule; the preset's own configs otherwise. A crop without labels is named."""
    crop = osp.join(shared_data, 'rs_benchmark_crops', 'pseudo_potsdam_dataset')
    work = tmp_path / 'smoke'
    log = run([
        sys.executable, 'tools/benchmarks/smoke_matrix.py',
        'configs/benchmark_matrix/potsdam_r50_gpu.py', crop, '--work-dir',
        str(work), '--methods', 'grass', '--heads', 'fcn', '--fractions', '0.1', '--seeds', '0',
        '--dry-run'
    ])
    assert '3 cells (1 pretrainings, 2 fine-tunings)' in log
    for split in ('img_dir/train', 'img_dir/val', 'ann_dir/train', 'ann_dir/val'):
        assert os.listdir(work / 'data' / split) == ['2_10_0_0_512_512.png']
    assert len(os.listdir(work / 'data' / 'pretrain_patches')) == 4 + 1  # + patches.json
    pretrain = Config.fromfile(work / 'work/pretrain/grass/run_config.py')
    assert pretrain.custom_hooks[0] == dict(type='GraSSStageHook', warmup_epochs=1)
    assert pretrain.train_cfg.max_epochs == 2 and pretrain.model.backbone.depth == 50
    assert pretrain.train_dataloader.dataset.data_root == str(work / 'data/pretrain_patches')
    finetune = Config.fromfile(work / 'work/finetune/grass/fcn_full_10pct-labels_seed0/'
                               'run_config.py')
    assert finetune.train_cfg.max_iters == 2 and finetune.crop_size == (512, 512)
    assert finetune.train_dataloader.dataset.dataset.data_root == str(work / 'data')
    assert finetune.val_dataloader.dataset.type == 'PotsdamDataset'

    (tmp_path / 'unlabelled' / 'img_dir').mkdir(parents=True)
    failed = subprocess.run([
        sys.executable, 'tools/benchmarks/smoke_matrix.py',
        'configs/benchmark_matrix/potsdam_r50_gpu.py',
        str(tmp_path / 'unlabelled')
    ],
                            cwd=REPO,
                            env=tool_env(),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert failed.returncode != 0 and 'unlabelled: no image in img_dir/ with a label' in \
        failed.stderr


def test_smoke_matrix_cuts_every_grass_warmup_to_fit_its_two_epochs():
    """Methods and ablations alike, from their config and options: a warm-up of 3 or 15 epochs
    (longer than the smoke's 2 would be an error) becomes 1, a warm-up of 0 stays 0, and a
    method without GraSSStageHook keeps its warm-up; the online probe is dropped from all."""
    import grass_mm.benchmark.smoke as smoke
    grass = 'configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'  # warm-up 3
    hooks = smoke.short_warmup(grass)['cfg_options']['custom_hooks']
    assert hooks == [
        dict(type='GraSSStageHook', warmup_epochs=1),
        dict(type='GraSSVisualizationHook', interval=1)
    ]
    for warmup, expected in ((15, 1), (0, 0)):
        ablation = dict(
            config=grass,
            cfg_options=dict(
                model=dict(guide_scale=0.5),
                custom_hooks=[dict(type='GraSSStageHook', warmup_epochs=warmup)]))
        short = smoke.short_warmup(ablation)
        assert short['cfg_options'] == dict(
            model=dict(guide_scale=0.5),
            custom_hooks=[dict(type='GraSSStageHook', warmup_epochs=expected)])
    simclr = 'configs/simclr/simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
    assert smoke.short_warmup(simclr) == dict(config=simclr, cfg_options=dict(custom_hooks=[]))
    plain = 'configs/simclr/simclr_resnet18_1xb16-coslr-30e_synthetic-ms4-128px.py'  # no hooks
    assert smoke.short_warmup(plain) == dict(config=plain)
    assert smoke.short_warmup(None) is None


def test_label_subset_follows_the_matrix_subset_seed_not_the_finetuning_seed(tmp_path):
    import grass_mm.benchmark.matrix as runner
    matrix = runner.load_matrix(
        osp.join(REPO, 'configs', 'benchmark_matrix', 'dubai_aerial_cpu.py'))
    config = matrix.downstream['fcn']['full']
    seeds = {}
    for subset_seed in (None, 4):
        if subset_seed is not None:
            matrix.subset_seed = subset_seed
        for seed in (0, 1):
            cell = dict(kind='finetune', config=config, method='random', fraction=0.1, seed=seed)
            cfg = runner.build_config(matrix, cell, str(tmp_path), None)
            seeds[subset_seed, seed] = cfg.train_dataloader.dataset.seed
            assert cfg.randomness.seed == seed
    assert seeds[None, 0] == 0 and seeds[None, 1] == 1  # v1: the subset moved with the seed
    assert seeds[4, 0] == seeds[4, 1] == 4


def test_multi_process_cells_go_through_dist_train(tmp_path):
    from grass_mm.benchmark.matrix import train_command as command
    assert command('c.py', str(tmp_path), 1)[1:] == [
        osp.join(REPO, 'tools', 'train.py'), 'c.py', '--work-dir',
        str(tmp_path)
    ]
    (tmp_path / 'epoch_1.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    assert command('c.py', str(tmp_path), 4) == [
        'bash',
        osp.join(REPO, 'tools', 'dist_train.sh'), 'c.py', '4', '--work-dir',
        str(tmp_path), '--resume'
    ]
