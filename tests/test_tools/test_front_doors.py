"""Every tool's front door: --help answers, and a misspelt path is one line naming it."""
import glob
import os.path as osp
import runpy
import subprocess
import sys

import pytest

from tests.helpers import REPO

# Tools of the retired v1 harness: one line naming the new command, whatever the arguments.
RETIRED = {
    'tools/benchmarks/run_matrix.py': 'tools/benchmarks/run_paired.py',
    'tools/benchmarks/collect_results.py': 'tools/benchmarks/collect_paired.py',
    'tools/benchmarks/smoke_matrix.py': 'tools/benchmarks/smoke_paired.py',
}
PYTHON_TOOLS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True)
    if osp.relpath(p, REPO) not in RETIRED)
SHELL_TOOLS = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'tools', '*.sh')))
# A misspelt path in each tool's first positional argument (or its required path option).
MISSPELT = {
    'tools/train.py': (['configs/grass/grass_resnet18_dubai.py'], 'no such config; closest'),
    'tools/test.py': (['configs/grass/nope.py', 'x.pth'], 'no such config'),
    'tools/analysis_tools/band_stats.py': (['no_such_dir'], 'no_such_dir: no such folder'),
    'tools/analysis_tools/linear_probe.py': (['nope.pth', '--out-dir', 'o'], 'nope.pth: no such'),
    'tools/analysis_tools/plot_scalars.py': (['nope.json'], 'nope.json: no such file'),
    'tools/analysis_tools/probe_curve.py': (['nope.json', '--steps',
                                             '0'], 'nope.json: no such file'),
    'tools/analysis_tools/sampling_purity.py':
    (['configs/grass/nope.py', '--img-dir', '.', '--ann-dir', '.', '--out-dir',
      'o'], 'no such config'),
    'tools/analysis_tools/visualize_sampling.py': (['configs/grass/grass.py', 'none',
                                                    '.'], 'no such config'),
    'tools/benchmarks/run_paired.py':
    (['configs/benchmark_matrix/dubai_v2_paired.py'], 'no such config; closest'),
    'tools/benchmarks/collect_paired.py':
    (['configs/benchmark_matrix/dubai_v2_paired.py'], 'no such config; closest'),
    'tools/benchmarks/smoke_paired.py': (['configs/benchmark_matrix/potsdam.py',
                                          '.'], 'no such config'),
    'tools/dataset_converters/dubai_aerial.py': (['no_such_dir',
                                                  'out'], 'no_such_dir: no such folder'),
    'tools/dataset_converters/make_geotiff_patches.py': (['no_such_dir',
                                                          'out'], 'no_such_dir: no such folder'),
    'tools/dataset_converters/make_patches.py': (['no_such_dir',
                                                  'out'], 'no_such_dir: no such folder'),
    'tools/dataset_converters/prepare_rs_benchmark.py': (['potsdam', 'no_such_dir'],
                                                         'no_such_dir: no such folder'),
    'tools/analysis_tools/probe_cost.py': (['configs/grass/nope.py'], 'no such config'),
    'tools/predict_scene.py':
    (['configs/benchmarks/synthetic/nope.py', 'x.pth', 'in.tif', 'out.tif'], 'no such config'),
    'tools/model_converters/extract_backbone.py': (['nope.pth', 'o.pth'], 'nope.pth: no such file'),
}


def call(tool, args, monkeypatch, capsys):
    """Run a tool's __main__ in this process (the stack is imported once for all of them)."""
    monkeypatch.setattr(sys, 'argv', [tool] + args)
    monkeypatch.chdir(REPO)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(osp.join(REPO, tool), run_name='__main__')
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


@pytest.mark.parametrize('tool', PYTHON_TOOLS)
def test_every_python_tool_answers_help(tool, monkeypatch, capsys):
    code, out, _ = call(tool, ['--help'], monkeypatch, capsys)
    assert code == 0 and out.startswith('usage:'), out[:300]


@pytest.mark.parametrize('tool', sorted(RETIRED))
def test_a_retired_tool_names_the_new_command_in_one_line(tool, monkeypatch, capsys):
    for args in (['--help'], ['configs/benchmark_matrix/potsdam_r50_gpu.py']):
        code, out, err = call(tool, args, monkeypatch, capsys)
        assert code == 2 and out == '' and len(err.strip().splitlines()) == 1
        assert f'{tool} is retired' in err and RETIRED[tool] in err


@pytest.mark.parametrize('tool', sorted(MISSPELT))
def test_a_misspelt_path_is_one_line_naming_it(tool, monkeypatch, capsys):
    args, expected = MISSPELT[tool]
    code, _, err = call(tool, args, monkeypatch, capsys)
    assert code == 2 and 'Traceback' not in err
    assert expected in err.strip().splitlines()[-1], err[-500:]


def test_every_tool_with_a_path_argument_is_checked():
    takes_paths = {
        t
        for t in PYTHON_TOOLS if not t.endswith(('demo.py', 'benchmark_speed.py', 'check_env.py',
                                                 'gpu_acceptance.py', 'gpu_cost.py'))
    }
    assert takes_paths == set(MISSPELT)


@pytest.mark.parametrize('tool', SHELL_TOOLS)
def test_every_shell_tool_answers_help_and_names_a_missing_config(tool):
    result = subprocess.run(['bash', tool, '--help'],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=60)
    assert result.returncode == 0 and 'tools/' in result.stdout, result.stdout
    if tool in ('tools/install_cpu.sh', 'tools/gpu_acceptance.sh', 'tools/build_wheelhouse.sh',
                'tools/install_offline.sh', 'tools/gpu_first_run.sh'):  # take no config
        return
    args = {'tools/slurm_train.sh': ['part', 'job', 'nope.py']}.get(tool, ['nope.py', '1', '1'])
    result = subprocess.run(['bash', tool, *args],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=60)
    assert result.returncode == 2 and 'CONFIG nope.py: no such config' in result.stderr


def test_gpu_acceptance_without_a_gpu_says_so_in_one_line_and_exits_0(tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip('this machine has a GPU: the script would run')
    out = tmp_path / 'acceptance'
    result = subprocess.run(
        ['bash', 'tools/gpu_acceptance.sh', str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines() == [
        'gpu_acceptance: no CUDA GPU on this machine (torch.cuda.is_available() is False); '
        'nothing to run'
    ]
    assert not out.exists()
