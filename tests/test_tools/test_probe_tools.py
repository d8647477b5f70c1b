import json
import os.path as osp
import subprocess
import sys

import pytest

from grass_mm.datasets import SYNTHETIC_CLASSES
from tests.helpers import REPO, tool_env
from tests.test_tools.test_tools import run

TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'linear_probe.py')


@pytest.mark.slow
def test_probe_folds_a_random_and_a_trained_backbone_against_the_floor(
        shared_data, grass_checkpoint, tmp_path):

    def command(out):
        return [
            sys.executable, TOOL, 'random', grass_checkpoint, '--names', 'random', 'tiny',
            '--out-dir',
            str(out), '--data-root',
            osp.join(shared_data, 'dubai_aerial'), '--tiles', '2', '3', '--scale', '0.25',
            '--patch', '32', '--pixels-per-class', '300', '--fractions', '1.0', '0.5'
        ]

    out = tmp_path / 'probe'
    log = run(command(out))
    result = json.loads((out / 'probe.json').read_text())
    assert sorted(result['floor']) == ['2', '3']
    assert [b['name'] for b in result['backbones']] == ['random', 'tiny']
    for b in result['backbones']:
        for fold, s in b['folds'].items():
            assert 0 <= s['linear']['mIoU'] <= 100 and 0 <= s['knn']['mAcc'] <= 100
            assert len(s['linear']['IoU']) == 5  # 'unlabeled' is ignored: 5 classes
            assert s['train_pixels'] <= 5 * 300
            # --fractions: a subset of the other tile's images, the same for every backbone.
            half = s['linear_fractions']['0.5']
            assert 0 <= half['mIoU'] <= 100 and len(half['images']) >= 1
            other = result['backbones'][0]['folds'][fold]['linear_fractions']['0.5']
            assert half['images'] == other['images']
    # The gate: even random features read out linearly beat the majority-class floor's mIoU.
    random = result['backbones'][0]['folds']
    assert all(random[f]['linear']['mIoU'] > result['floor'][f]['mIoU'] for f in random)
    table = (out / 'probe.md').read_text()
    assert '| floor (majority class) | mIoU |' in table
    assert '| tiny − random | linear mIoU |' in table
    assert 'tile 2' in table and 'tile 3' in table and 'tiny: linear mIoU' in log
    # Nothing is overwritten.
    refused = subprocess.run(command(out), cwd=REPO, env=tool_env(), capture_output=True, text=True)
    assert refused.returncode != 0 and 'exists' in refused.stderr


@pytest.mark.slow
def test_probe_names_a_missing_backbone_file(tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL,
         str(tmp_path / 'nope.pth'), '--out-dir',
         str(tmp_path / 'o')],
        cwd=REPO,
        env=tool_env(),
        capture_output=True,
        text=True)
    assert result.returncode == 2 and 'nope.pth: no such file' in result.stderr


PURITY = osp.join(REPO, 'tools', 'analysis_tools', 'sampling_purity.py')


@pytest.mark.slow
def test_sampling_purity_at_random_init_and_from_a_checkpoint(synthetic_root, grass_checkpoint,
                                                              tmp_path):
    config = osp.join(REPO, 'configs', 'grass', 'grass_resnet18_1xb16-coslr-30e_synthetic-128px.py')
    common = [
        sys.executable, PURITY, config, '--img-dir', f'{synthetic_root}/img_dir/train', '--ann-dir',
        f'{synthetic_root}/ann_dir/train', '--num-images', '8', '--batch', '4'
    ]
    for name, extra in (('null', []), ('trained', ['--checkpoint', grass_checkpoint])):
        run(common + ['--out-dir', str(tmp_path / name)] + extra)
        summary = json.loads((tmp_path / name / 'summary.json').read_text())
        assert summary['views'] == 16 and 0 < summary['views_used'] <= 16
        for key in ('purity_gs', 'purity_random', 'purity_whole', 'single_object_share'):
            assert 0 <= summary[key] <= 1, key
        diff = summary['gs_minus_random']
        assert diff['ci95'][0] <= diff['mean'] <= diff['ci95'][1]
        assert (tmp_path / name / 'purity.png').stat().st_size > 1000
    assert summary['checkpoint'] == grass_checkpoint
    refused = subprocess.run(
        common + ['--out-dir', str(tmp_path / 'null')],
        cwd=REPO,
        env=tool_env(),
        capture_output=True,
        text=True)
    assert refused.returncode != 0 and 'exists' in refused.stderr


@pytest.mark.slow
def test_sampling_purity_feeds_an_oracle_its_labels(synthetic_root, tmp_path):
    # The oracle configs cut views with LabelledRandomResizedCrop; the tool finds it and hands
    # the views' labels to the sampler, whose boxes are then the purest of their size.
    config = osp.join(REPO, 'configs', 'grass',
                      'grass-oracle-place_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py')
    run([
        sys.executable, PURITY, config, '--img-dir', f'{synthetic_root}/img_dir/train', '--ann-dir',
        f'{synthetic_root}/ann_dir/train', '--num-images', '8', '--batch', '4', '--out-dir',
        str(tmp_path / 'place')
    ])
    summary = json.loads((tmp_path / 'place' / 'summary.json').read_text())
    assert summary['views_used'] > 0
    assert summary['gs_minus_random']['ci95'][0] >= 0  # never below a box of the same size


def test_plot_scalars_draws_training_and_validation_keys(tmp_path):
    scalars = tmp_path / 'scalars.json'
    lines = [{'lr': 0.01, 'loss': 1.0 / i, 'iter': 50 * i, 'step': 50 * i} for i in range(1, 7)]
    lines.insert(3, {'mIoU': 41.5, 'aAcc': 80.0, 'step': 150})
    scalars.write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'plot_scalars.py')
    out = run([sys.executable, tool, str(scalars), '--out', str(tmp_path / 'c.png')])
    assert 'loss (6 points), lr (6 points), mIoU (1 points)' in out
    assert (tmp_path / 'c.png').stat().st_size > 1000
    bad = subprocess.run(
        [sys.executable, tool, str(scalars), '--keys', 'mDice'],
        cwd=REPO,
        env=tool_env(),
        capture_output=True,
        text=True)
    assert bad.returncode == 2 and "no key ['mDice']" in bad.stderr


@pytest.mark.slow
def test_probe_curve_reads_the_published_stage4_probe_and_applies_the_gate(tmp_path):
    probe = osp.join(REPO, 'docs', 'results', 'dubai_aerial_v2', 'stage4', 'probe.json')
    tool = [
        sys.executable,
        osp.join(REPO, 'tools', 'analysis_tools', 'probe_curve.py'), probe, '--steps', '0', '240',
        '240'
    ]
    out = subprocess.run(
        tool + ['--out', str(tmp_path / 'c.png')], capture_output=True, text=True,
        check=True).stdout
    assert '| – | floor (majority class) | 9.61 ± 3.65 |' in out
    # SimCLR at 240 steps: +1.87 on the fold mean, every fold up; short of a 2-point gate
    assert '| 240 | simclr-ep30 | 34.16 ± 7.78 | +1.87 ± 1.06 | 7/7 |' in out
    assert 'not passed' in out and (tmp_path / 'c.png').stat().st_size > 1000
    lower = subprocess.run(
        tool + ['--gate', '1.5'], capture_output=True, text=True, check=True).stdout
    assert 'passes first at step 240' in lower  # GraSS (6/7 folds up) alone would not
    bad = subprocess.run(tool[:-1], capture_output=True, text=True)
    assert bad.returncode != 0 and '2 values for 3 backbones' in bad.stderr


@pytest.mark.slow
def test_probe_on_any_mmseg_dataset_config(synthetic_root, grass_checkpoint, tmp_path):
    """--dataset-config: the synthetic set's mmseg train and val splits, one held-out table."""
    seg = tmp_path / 'seg.py'
    seg.write_text(f"_base_ = ['{REPO}/configs/benchmarks/synthetic/"
                   "fcn_r18-d8_1xb8-400i_synthetic-128x128.py']\n"
                   f"train_dataloader = dict(dataset=dict(data_root='{synthetic_root}'))\n"
                   f"val_dataloader = dict(dataset=dict(data_root='{synthetic_root}'))\n")
    out = tmp_path / 'probe'
    log = run([
        sys.executable, TOOL, 'random', grass_checkpoint, '--names', 'random', 'tiny', '--out-dir',
        str(out), '--dataset-config',
        str(seg), '--config',
        osp.join(REPO, 'configs', 'grass', 'grass_resnet18_1xb16-coslr-30e_synthetic-128px.py'),
        '--scale', '1', '--patch', '16', '--pixels-per-class', '300', '--stages', '3', '4'
    ])
    result = json.loads((out / 'probe.json').read_text())
    assert result['classes'] == list(SYNTHETIC_CLASSES)
    assert [b['name'] for b in result['backbones']] == ['random', 'tiny']
    assert all(0 <= b['linear_mIoU'] <= 100 and 0 <= b['knn_mAcc'] <= 100
               for b in result['backbones'])
    assert '| floor (majority class) |' in log and '| tiny |' in log
