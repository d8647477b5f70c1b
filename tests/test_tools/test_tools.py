"""The command-line tools, run as users run them: subprocesses over a tiny synthetic set."""
import json
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys
import warnings

import mmcv
import pytest
import torch

from grass_mm.utils import update_transforms
from tests.helpers import GRASS_SYNTHETIC, REPO, tool_env

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)

SEG_CONFIG = osp.join(REPO, 'configs', 'benchmarks', 'synthetic',
                      'fcn_r18-d8_1xb8-400i_synthetic-128x128.py')


def free_port() -> str:
    """A free TCP port, so that concurrent test runs on one machine do not collide."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def run(args, cwd=REPO, timeout=600, **env_vars):
    """Run a tool as a user would; fail with its output if it fails."""
    env = dict(tool_env(), **env_vars)
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout + result.stderr


def tiny_options(data_root, epochs=2, batch=4):
    return [
        '--cfg-options', f'train_dataloader.dataset.data_root={data_root}/img_dir/train',
        f'train_dataloader.batch_size={batch}', 'train_dataloader.num_workers=0',
        'custom_hooks.0.warmup_epochs=1', 'train_dataloader.dataset.pipeline.1.transforms.0.0'
        '.scale=64', 'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
        f'train_cfg.max_epochs={epochs}', f'custom_hooks.2.train_split.data_root={data_root}',
        f'custom_hooks.2.test_split.data_root={data_root}', 'custom_hooks.2.interval=1'
    ]


def test_train_switches_stage_writes_checkpoints_and_resumes(synthetic_root, tmp_path):
    """The first run through ``mim train grass_mm <config name>`` from a folder outside the
    checkout (mim finds the config in the installed package), then tools/train.py resumes it
    and starts a fresh run beside it: one GraSS training serves both front doors."""
    from mim.utils import get_installed_path
    work = str(tmp_path / 'work')
    train = [sys.executable, 'tools/train.py', GRASS_SYNTHETIC, '--work-dir', work]
    if osp.isdir(osp.join(get_installed_path('grass_mm'), '.mim', 'configs')):
        log = run(
            [
                'mim', 'train', 'grass_mm',
                osp.basename(GRASS_SYNTHETIC), '--gpus', '0', '--work-dir', work
            ] + tiny_options(synthetic_root),
            cwd=str(tmp_path))
    else:  # an install without .mim (bash tools/install_cpu.sh installs it for mim)
        warnings.warn('grass_mm is installed without .mim: mim train is not tested')
        log = run(train + tiny_options(synthetic_root))
    assert 'GraSS stage: warmup -> gs (epoch 1, iter 2)' in log
    assert re.search(r'Epoch\(train\) \[2\]\[2/2\].*stage: 1\.0000.*box_area', log)
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
    log = run(train + ['--resume'] + tiny_options(synthetic_root, epochs=3))
    assert 'resumed epoch: 2, iter: 4' in log
    assert re.search(r'Epoch\(train\) \[3\]\[1/2\].*stage: 1\.0000', log)
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))
    # Started again without --resume: a fresh run only in a subfolder, the checkpoints kept.
    before = {f: os.stat(osp.join(work, f)).st_mtime_ns for f in os.listdir(work) if '.pth' in f}
    log = run(train + ['--new-run'] + tiny_options(synthetic_root, epochs=1))
    (fresh, ) = [d for d in os.listdir(work) if d.startswith('run_')]
    assert osp.isfile(osp.join(work, fresh, 'epoch_1.pth'))
    assert before == {f: os.stat(osp.join(work, f)).st_mtime_ns for f in before}


@pytest.mark.parametrize('method', ['mocov2', 'byol', 'densecl'])
def test_gs_plugin_trains_through_the_switch_and_its_backbone_finetunes(
        method, synthetic_root, tmp_path):
    """The CPU GS config of each base method, on the synthetic set: tools/train.py through the
    stage switch; once, for DenseCL: extract_backbone.py, ``mim train mmseg`` from that backbone,
    then tools/test.py and tools/dist_test.sh (two CPU processes) on the fine-tuned model."""
    from mmengine.config import Config

    from grass_mm.utils.config import find_hook
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'gs',
                 f'gs-{method}_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'))
    cfg.train_dataloader = Config.fromfile(GRASS_SYNTHETIC).train_dataloader
    cfg.train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.data_root = f'{synthetic_root}/img_dir/train'
    update_transforms(cfg.train_dataloader.dataset.pipeline, 'RandomResizedCrop', scale=64)
    cfg.train_cfg.max_epochs = 2
    find_hook(cfg).warmup_epochs = 1
    if method != 'densecl':  # the switch only; DenseCL's run keeps the online probe (start, end)
        cfg.custom_hooks = [find_hook(cfg)]
    else:  # the synthetic config's probe on the synthetic scenes, not the Dubai tiles
        probe = find_hook(Config.fromfile(GRASS_SYNTHETIC), 'DenseProbeHook')
        for split in ('train_split', 'test_split'):
            probe[split].data_root = synthetic_root
        cfg.custom_hooks = [h for h in cfg.custom_hooks if h.type != 'DenseProbeHook'] + [probe]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 2
    config = str(tmp_path / f'gs-{method}.py')
    cfg.dump(config)
    work = str(tmp_path / 'work')
    log = run([sys.executable, 'tools/train.py', config, '--work-dir', work])
    assert 'GraSS stage: warmup -> gs (epoch 1, iter 2)' in log
    assert re.search(r'Epoch\(train\) \[2\]\[2/2\].*stage: 1\.0000.*box_area', log)
    if method != 'densecl':  # the export and the fine-tuning, once
        return
    assert [m.group(1)
            for m in re.finditer(r'probe at epoch (\d+): linear mIoU', log)] == ['0', '2']
    backbone = str(tmp_path / 'backbone.pth')
    assert 'wrote 120 backbone tensors' in run([
        sys.executable, 'tools/model_converters/extract_backbone.py',
        osp.join(work, 'epoch_2.pth'), backbone
    ])
    seg = str(tmp_path / 'seg')
    roots = [
        f'{split}_dataloader.dataset.data_root={synthetic_root}'
        for split in ('train', 'val', 'test')
    ]
    log = run([
        'mim', 'train', 'mmseg', SEG_CONFIG, '--gpus', '0', '--work-dir', seg, '--cfg-options',
        *roots, f'model.backbone.init_cfg.checkpoint={backbone}', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False'
    ],
              cwd=str(tmp_path))
    assert 'PretrainedCheckHook: all 120 tensors of backbone equal' in log
    log = run([
        sys.executable, 'tools/test.py', SEG_CONFIG,
        osp.join(seg, 'iter_2.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *roots, 'test_dataloader.num_workers=0'
    ])
    single = re.search(r'mIoU: (\d+\.\d+)', log)
    log = run([
        'bash', 'tools/dist_test.sh', SEG_CONFIG,
        osp.join(seg, 'iter_2.pth'), '2', '--work-dir',
        str(tmp_path / 'dist_test'), '--cfg-options', *roots, 'test_dataloader.num_workers=0'
    ],
              PORT=free_port())
    assert 'Distributed launcher: pytorch' in log
    assert re.search(r'mIoU: (\d+\.\d+)', log).group(1) == single.group(1)  # same 4 images


def test_dist_train_two_cpu_processes(synthetic_root, tmp_path):
    work = str(tmp_path / 'dist')
    log = run(
        ['bash', 'tools/dist_train.sh', GRASS_SYNTHETIC, '2', '--work-dir', work] +
        tiny_options(synthetic_root, batch=2),
        PORT=free_port())
    assert 'Distributed launcher: pytorch' in log
    # The switch is checked across ranks (an all-reduce) and logged once.
    assert 'GraSS stage: warmup -> gs (epoch 1, iter 2, all 2 ranks)' in log
    assert 'SyncBN needs GPUs: reverted to per-process BN' in log  # the config's SyncBN
    # The online probe under gloo: rank 0 probes at each epoch, the other rank waits.
    assert [m.group(1)
            for m in re.finditer(r'probe at epoch (\d+): linear mIoU', log)] == ['0', '1', '2']
    # The checkpoint loads, strictly, into the model of the same config built afresh.
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(Config.fromfile(GRASS_SYNTHETIC).model)
    state = torch.load(osp.join(work, 'epoch_2.pth'), weights_only=False)['state_dict']
    model.load_state_dict({k.replace('.module.', '.'): v for k, v in state.items()})


def test_gs_gathers_negatives_across_two_cpu_ranks():
    log = run([
        'torchrun', '--nproc_per_node', '2', '--master_port',
        free_port(), 'tests/dist_gs_negatives.py'
    ])
    # 2 ranks x 2 images: 8 views, so 6 negatives per anchor (2 if not gathered),
    # in the guide pass and in the training pass.
    assert 'rank 0: negatives per anchor [6, 6]' in log
    assert 'rank 1: negatives per anchor [6, 6]' in log


def test_amp_on_cpu_is_a_clear_error(synthetic_root, tmp_path):
    if torch.cuda.is_available():
        pytest.skip('this machine has a GPU')
    result = subprocess.run([sys.executable, 'tools/train.py', GRASS_SYNTHETIC, '--amp'],
                            cwd=REPO,
                            env=tool_env(),
                            capture_output=True,
                            text=True)
    assert result.returncode != 0 and '--amp needs a GPU' in result.stderr


def test_demo_end_to_end_and_never_overwrites(tmp_path):
    work = str(tmp_path / 'demo')
    log = run([
        sys.executable, 'tools/demo.py', '--work-dir', work, '--pretrain-epochs', '2',
        '--finetune-iters', '2', '--num-workers', '0'
    ])
    miou = re.search(r'val mIoU     : (\d+\.\d+)', log)
    assert miou and 0 <= float(miou.group(1)) <= 100
    assert 'GraSS stage: warmup -> gs' in log
    # A screen, not a scroll: the plan, a progress line per tenth of each phase, the summary;
    # the config dumps, hook tables and init reports are in the work dir only.
    assert len(log.splitlines()) <= 60, log
    assert '  pretraining [####################] ' in log and 'evaluation  [' in log
    assert 'Config:' not in log and 'init_weights' not in log
    full = open(osp.join(work, 'console.log')).read()
    assert 'Config:' in full and 'Exp name' in full
    assert 'Logging error' not in full  # mmengine's logger outlived the first quiet block
    probe = re.search(
        r'probe        : linear mIoU (\d+\.\d+) at random init, (\d+\.\d+) at epoch 2 '
        r'\(floor (\d+\.\d+)\)', log)
    assert probe and all(0 <= float(v) <= 100 for v in probe.groups())
    # The last progress line shows the probe the summary reports (the end-of-training one).
    shown = re.findall(r'pretraining \[#+ *\] \d+/\d+ (?:.* )?probe (\d+\.\d)', log)
    assert shown and abs(float(shown[-1]) - float(probe.group(2))) <= 0.051, (shown, probe.group(2))
    assert osp.isfile(osp.join(work, 'pretrain', 'probe_curve.png'))
    state = torch.load(osp.join(work, 'backbone.pth'), weights_only=True)['state_dict']
    assert len(state) == 120  # every ResNet-18 tensor, buffers included
    result = subprocess.run([sys.executable, 'tools/demo.py', '--work-dir', work],
                            cwd=REPO,
                            env=tool_env(),
                            capture_output=True,
                            text=True)
    assert result.returncode != 0 and 'is not empty' in result.stderr
    assert osp.isfile(osp.join(work, 'backbone.pth'))


def test_demo_on_real_dubai_tiles(shared_data, tmp_path):
    """The demo on real Dubai imagery in its original layout ('Semantic segmentation
    dataset/Tile N/images|masks'): the first two images of each tile (14 of 63), linked, so
    the conversion, pretraining, probe, fine-tuning and evaluation read real tiles without
    evaluating nine 1817 x 2061 px images. The full set's conversion is
    tests/test_datasets/test_dubai_aerial.py's; the synthetic demo's test covers the switch."""
    source = osp.join(shared_data, 'dubai_aerial', 'Semantic segmentation dataset')
    subset = tmp_path / 'dubai_aerial' / 'Semantic segmentation dataset'
    for tile in range(1, 8):
        for kind in ('images', 'masks'):
            os.makedirs(subset / f'Tile {tile}' / kind)
            for name in sorted(os.listdir(osp.join(source, f'Tile {tile}', kind)))[:2]:
                os.symlink(
                    osp.join(source, f'Tile {tile}', kind, name),
                    subset / f'Tile {tile}' / kind / name)
    work = str(tmp_path / 'demo')
    log = run([
        sys.executable, 'tools/demo.py', '--data-root',
        str(tmp_path / 'dubai_aerial'), '--work-dir', work, '--pretrain-epochs', '1',
        '--finetune-iters', '2', '--num-workers', '0'
    ])  # one epoch (GS from the start)
    assert "{'train': 12, 'val': 2}" in log and re.search(r'val mIoU     : \d+\.\d+', log)
    assert 'data         : dubai' in log
    shutil.rmtree(work)


@pytest.mark.parametrize('images', ['synthetic', 'real'])
def test_visualize_sampling(images, synthetic_root, grass_checkpoint, request, tmp_path):
    folder = osp.join(synthetic_root, 'img_dir', 'train')
    if images == 'real':  # the real unlabelled aerial scenes (large, varied sizes)
        folder = osp.join(request.getfixturevalue('shared_data'), 'aerial_unlabeled')
    out = str(tmp_path / 'vis')
    log = run([
        sys.executable, 'tools/analysis_tools/visualize_sampling.py', GRASS_SYNTHETIC,
        grass_checkpoint, folder, '--out-dir', out, '--num-images', '6', '--show', '4'
    ])
    assert re.search(r'12 views of 6 images: mean box area 0\.\d+ of the view', log)
    assert 'init_weights' not in log  # results, not the stack's initialisation chatter
    grid = mmcv.imread(osp.join(out, 'sampling_grid.png'))
    assert grid.shape == (4 * 128 + 6, 3 * 128 + 4, 3)
    with open(osp.join(out, 'summary.json')) as f:
        summary = json.load(f)
    assert summary['views'] == 12 and 0 <= summary['fallback_rate'] <= 1
    assert osp.isfile(osp.join(out, 'box_area_hist.png'))


def test_visualize_sampling_refuses_a_model_that_does_not_sample(synthetic_root, tmp_path):
    simclr = GRASS_SYNTHETIC.replace('/grass/grass_', '/simclr/simclr_')
    result = subprocess.run([
        sys.executable, 'tools/analysis_tools/visualize_sampling.py', simclr, 'none', synthetic_root
    ],
                            cwd=REPO,
                            env=tool_env(),
                            capture_output=True,
                            text=True)
    assert result.returncode != 0 and 'model.type=SimCLR is not GraSS' in result.stderr


def test_benchmark_speed_prints_a_table_not_initialisation_reports(tmp_path):
    from grass_mm.acceptance import bench_check
    rows = tmp_path / 'rows.jsonl'
    log = run([
        sys.executable, 'tools/analysis_tools/benchmark_speed.py', '--depths', '18', '--sizes',
        '64', '--batch', '4', '--steps', '1', '--warmup', '1', '--out',
        str(rows)
    ])
    assert '| ResNet-18 | 64 px |' in log
    assert 'init_weights' not in log and 'KaimingInit' not in log
    # The same row as a JSON line, which the GPU acceptance reads.
    result = bench_check(str(rows))
    assert result['detail'] == '1 rows' and result['table'][2].startswith('| ResNet-18 | 64 px |')
