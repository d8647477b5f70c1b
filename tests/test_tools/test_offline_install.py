"""The offline GPU-node install refuses a node that does not match its wheelhouse, saying why, and
the one-command first run leaves a summary whatever happens (tools/install_offline.sh,
tools/gpu_first_run.sh). The real install ran in the CPU rehearsal (docs/results/timings.md)."""
import json
import platform
import subprocess
import sys

import pytest
import torch

from tests.helpers import REPO

HERE = '.'.join(platform.python_version_tuple()[:2])


def wheelhouse(tmp_path, **manifest) -> str:
    house = tmp_path / 'wheelhouse'
    house.mkdir()
    files = {'mmcv-2.1.0-cp312-cp312-linux_x86_64.whl': {}, 'addict-2.4.0-py3-none-any.whl': {}}
    for name in files:
        (house / name).write_bytes(b'not a wheel')
    base = dict(
        python=HERE,
        torch=torch.__version__,
        mmcv_wheel_torch=torch.__version__,
        provided=['torch', 'numpy'],
        files=files)
    base.update(manifest)
    (house / 'MANIFEST.json').write_text(json.dumps(base))
    return str(house)


def run_tool(tool, arg, tmp_path, **env) -> subprocess.CompletedProcess:
    """A shell tool with a bare environment: this interpreter as the node's, a target folder
    in ``tmp_path``."""
    return subprocess.run(['bash', f'tools/{tool}', arg],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=120,
                          env=dict(
                              PATH='/usr/bin:/bin',
                              PYTHON=sys.executable,
                              GRASS_MM_SITE=str(tmp_path / 'site'),
                              **env))


def install(house, tmp_path, **env) -> subprocess.CompletedProcess:
    return run_tool('install_offline.sh', house, tmp_path, **env)


def test_no_wheelhouse_is_named(tmp_path):
    result = install(str(tmp_path / 'nowhere'), tmp_path)
    assert result.returncode == 2
    assert f'no wheelhouse at {tmp_path}/nowhere' in result.stderr
    assert 'tools/build_wheelhouse.sh' in result.stderr


def test_another_python_is_refused(tmp_path):
    result = install(wheelhouse(tmp_path, python='3.99'), tmp_path)
    assert result.returncode == 2
    assert f'this Python is {HERE}, the wheelhouse' in result.stderr
    assert 'cp399 wheels' in result.stderr
    assert not (tmp_path / 'site').exists()  # refused before anything was written


def test_a_missing_node_package_is_named(tmp_path):
    result = install(wheelhouse(tmp_path, provided=['torch', 'no-such-package']), tmp_path)
    assert result.returncode == 2
    assert 'this node lacks no-such-package' in result.stderr


def test_another_torch_without_mmcv_source_is_refused(tmp_path):
    result = install(wheelhouse(tmp_path, mmcv_wheel_torch='2.11.0+cu130'), tmp_path)
    if torch.__version__.split('+')[0] == '2.11.0':
        pytest.skip('this machine has the wheelhouse\'s torch')
    assert result.returncode == 2
    assert f"this node's torch is {torch.__version__}" in result.stderr
    assert 'built against torch 2.11.0+cu130 and it holds no mmcv source' in result.stderr


def test_a_failed_install_still_leaves_a_summary(tmp_path):
    out = tmp_path / 'first_run'
    result = run_tool(
        'gpu_first_run.sh', str(out), tmp_path, GRASS_MM_WHEELHOUSE=str(tmp_path / 'nowhere'))
    assert result.returncode == 1, result.stderr
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['passed'] is False
    assert summary['steps'][0]['step'] == 'offline_install'
    assert 'exit 2: install_offline: no wheelhouse at' in summary['steps'][0]['detail']
    assert '| offline_install | fail |' in (out / 'summary.md').read_text()
