"""SIGTERM (a cluster's preemption): a checkpoint at the current iteration, a clear exit, and a
resume that continues the same run. A real ``tools/train.py`` on tiny synthetic data."""
import json
import signal
import subprocess
import sys
import time

import pytest
import torch

from grass_mm.datasets import generate_synthetic_aerial
from grass_mm.utils.run_id import RUN_FILE
from tests.helpers import REPO, tiny_grass_cfg, tool_env

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)


def train(config, work, *extra):
    return subprocess.Popen(
        [sys.executable, 'tools/train.py',
         str(config), '--work-dir',
         str(work), *extra],
        cwd=REPO,
        env=tool_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True)


def test_sigterm_saves_the_current_iteration_and_the_resume_continues_the_run(tmp_path):
    generate_synthetic_aerial(str(tmp_path / 'data'), num_train=8, num_val=0, size=96)
    work = tmp_path / 'work'
    cfg = tiny_grass_cfg(str(tmp_path / 'data'), str(work), max_epochs=40, warmup_epochs=1)
    config = tmp_path / 'tiny.py'
    cfg.dump(str(config))
    run = train(config, work)
    deadline = time.time() + 240
    while not (work / 'epoch_2.pth').exists():  # two epochs done: mid-run now
        assert run.poll() is None and time.time() < deadline, run.communicate()[1][-3000:]
        time.sleep(0.2)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 143, err[-3000:]
    saved = err.split('SIGTERM at iteration ')[1].split(': saved ')[1].split(';')[0]
    assert saved.startswith(str(work / 'iter_')) and err.endswith('(same --work-dir)\n')
    assert (work / 'last_checkpoint').read_text() == saved
    ckpt = torch.load(saved, map_location='cpu', weights_only=False)
    run_id = json.loads((work / RUN_FILE).read_text())['run_id']
    assert ckpt['meta']['run_id'] == run_id
    assert ckpt['meta']['iter'] == int(saved.rsplit('_', 1)[1][:-4]) >= 4  # 2 iterations/epoch
    assert ckpt['meta']['epoch'] == (ckpt['meta']['iter'] - 1) // 2  # the unfinished epoch
    assert not list(work.glob('*.tmp*')) and not list(work.glob('.*.tmp*'))  # nothing partial
    epoch = ckpt['meta']['epoch']
    # The resume: same run, from the saved iteration, the interrupted epoch run again.
    resumed = train(config, work, '--resume', '--cfg-options', f'train_cfg.max_epochs={epoch + 1}')
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err[-3000:]
    final = torch.load(work / f'epoch_{epoch + 1}.pth', map_location='cpu', weights_only=False)
    assert final['meta']['run_id'] == run_id
    assert final['meta']['iter'] == ckpt['meta']['iter'] + 2
