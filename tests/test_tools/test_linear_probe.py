import json
import os.path as osp
import subprocess
import sys

from tests.helpers import REPO
from tests.test_tools.test_tools import run, tool_env

TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'linear_probe.py')


def test_probe_folds_a_random_and_a_trained_backbone_against_the_floor(
        shared_data, grass_checkpoint, tmp_path):
    def command(out):
        return [sys.executable, TOOL, 'random', grass_checkpoint, '--names', 'random', 'tiny',
                '--out-dir', str(out), '--data-root', osp.join(shared_data, 'dubai_aerial'),
                '--tiles', '2', '3', '--scale', '0.25', '--patch', '32',
                '--pixels-per-class', '300']

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
    # The gate: even random features read out linearly beat the majority-class floor's mIoU.
    random = result['backbones'][0]['folds']
    assert all(random[f]['linear']['mIoU'] > result['floor'][f]['mIoU'] for f in random)
    table = (out / 'probe.md').read_text()
    assert '| floor (majority class) | mIoU |' in table and '| tiny − random | linear mIoU |' in table
    assert 'tile 2' in table and 'tile 3' in table and 'tiny: linear mIoU' in log
    # Nothing is overwritten.
    refused = subprocess.run(command(out), cwd=REPO, env=tool_env(), capture_output=True,
                             text=True)
    assert refused.returncode != 0 and 'exists' in refused.stderr


def test_probe_names_a_missing_backbone_file(tmp_path):
    result = subprocess.run([sys.executable, TOOL, str(tmp_path / 'nope.pth'), '--out-dir',
                             str(tmp_path / 'o')], cwd=REPO, env=tool_env(),
                            capture_output=True, text=True)
    assert result.returncode == 2 and 'nope.pth: no such file' in result.stderr
