"""The GPU acceptance run: what a first GPU run must prove, in one script within its budget.

    bash tools/gpu_first_run.sh OUT_DIR           # offline install, then this (one command)
    bash tools/gpu_acceptance.sh OUT_DIR          # this alone, on an installed stack
    python tools/misc/gpu_acceptance.py OUT_DIR --cpu-smoke   # the same steps, tiny, on CPU

Steps, each a subprocess with its own time limit (seconds on one H100, 16 cores) and log in
OUT_DIR/logs/; a step left without time is reported as skipped:

1. ``cuda_tests`` (100): ``tests/test_models/test_cuda.py`` (batched selection on CUDA against
   scipy, GS steps under fp16/bf16 autocast against fp32, GS on MoCo v2/BYOL/DenseCL under fp16)
   and ``test_mmcv_ops.py`` (no mmcv kernel runs: the node's mmcv has CPU ops only). The code
   paths that exist only on CUDA, so first.
2. ``gs_step_amp`` (75): ``benchmark_speed.py`` at ResNet-50/224 px, batch 256, AMP: the GraSS
   and SimCLR steps side by side (step ratio, selection share, peak memory ratio).
3. ``pretrain_switch`` (120): the Potsdam preset (GraSS, ResNet-50, 224 px, batch 256, AMP) for
   two short epochs on the Potsdam crop, through the warm-up -> GS switch.
4. ``export_backbone`` (20) and ``finetune_mmseg`` (60): the backbone into the preset's mmseg
   FCN for 20 iterations with AMP; ``PretrainedCheckHook`` must see every tensor load.
5. ``nccl_world1`` (75): ``tools/dist_train.sh`` with NCCL at world size 1 through the switch.
   Last: a cluster's multi-GPU jobs need it, a first answer does not.

The budgets add up to 450 s, so that with the offline install (14-21 s measured on 2 cores with
the mmcv wheel, docs/results/timings.md) the one command ends within 9 minutes. Writes
OUT_DIR/summary.json and OUT_DIR/summary.md after every step (a run stopped from outside still
leaves one); SIGTERM ends the running step and writes them. Exits 0 on a machine without CUDA
after saying so in one line (unless --cpu-smoke).
"""
import argparse
import os
import os.path as osp
import signal
import sys
from functools import partial

from grass_mm.acceptance import (Steps, Terminated, bench_check, finetune_check, pytest_check,
                                 short_potsdam_configs, stage_check, write_summary)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DATA = os.environ.get('GRASS_MM_DATA', osp.join(REPO, '..', 'shared', 'data'))
POTSDAM = osp.join(DATA, 'rs_benchmark_crops', 'pseudo_potsdam_dataset')
PRETRAIN = osp.join(REPO, 'configs', 'grass', 'grass_resnet50_1xb256-coslr-350e_potsdam.py')
# The fine-tuning config of the pretrained depth (ResNet-18 in the CPU smoke run).
FINETUNE = osp.join(REPO, 'configs', 'benchmarks', 'potsdam',
                    'fcn_r{}-d8_4xb4-80k_potsdam-512x512.py')
# Targets of the GPU table (issue: efficient GraSS <= 1.35x SimCLR with AMP, selection <= 2 %,
# memory <= 1.10x).
TARGETS = dict(eff=1.35, share=0.02, mem_eff=1.10)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='folder for summary.md, summary.json and logs/')
    parser.add_argument(
        '--cpu-smoke',
        action='store_true',
        help='run every step tiny on the CPU (checks the script, not CUDA)')
    parser.add_argument('--budget', type=float, default=450, help='seconds for all steps')
    parser.add_argument(
        '--install-report',
        help='JSON of the offline install\'s stages (gpu_first_run.sh): its row of the summary')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    import torch
    if not args.cpu_smoke and not torch.cuda.is_available():
        print('gpu_acceptance: no CUDA GPU on this machine (torch.cuda.is_available() is False); '
              'nothing to run')
        return 0
    # gpu_first_run.sh leaves its install log and report there first.
    ours = {'logs', osp.basename(args.install_report or '')}
    if osp.isdir(args.out_dir) and set(os.listdir(args.out_dir)) - ours:
        print(f'gpu_acceptance: OUT_DIR {args.out_dir} is not empty; give a new folder')
        return 2
    if not osp.isdir(POTSDAM):
        print(f'gpu_acceptance: the Potsdam crop was not found at {POTSDAM} '
              '(set GRASS_MM_DATA to the folder holding rs_benchmark_crops/)')
        return 2
    os.makedirs(args.out_dir, exist_ok=True)
    out_dir = osp.abspath(args.out_dir)
    smoke = args.cpu_smoke
    device = 'CPU smoke run (no CUDA checked)' if smoke else \
        f'{torch.cuda.get_device_name()}, torch {torch.__version__}, CUDA {torch.version.cuda}'
    print(f'gpu_acceptance: {device}; writing {out_dir}', flush=True)

    def summary(finished: bool = False) -> bool:
        return write_summary(out_dir, steps, device, smoke, TARGETS, finished)

    steps = Steps(out_dir, 3 * args.budget if smoke else args.budget, REPO, on_step=summary)
    if args.install_report:
        steps.record(install_row(args.install_report))

    def terminate(signum, frame):
        raise Terminated(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, terminate)
    try:
        run_steps(steps, out_dir, smoke)
    except Terminated:
        summary()
        print('gpu_acceptance: stopped by SIGTERM; summary of the steps so far in '
              f"{osp.join(out_dir, 'summary.md')}")
        return 124
    ok = summary(finished=True)
    print(f"gpu_acceptance: {'PASSED' if ok else 'FAILED'}; {osp.join(out_dir, 'summary.md')}")
    return 0 if ok else 1


def install_row(report: str) -> dict:
    """The summary row of the offline install from its stage report (``install_offline.sh``)."""
    import json
    with open(report) as f:
        stages = json.load(f)
    return dict(
        step='offline_install',
        status='pass',
        seconds=float(sum(stages.values())),
        log='logs/install.log',
        detail='; '.join(f'{name} {sec} s' for name, sec in stages.items()))


def run_steps(steps: Steps, out_dir: str, smoke: bool) -> None:
    """The acceptance steps, in the order of the module docstring."""
    py = sys.executable
    configs = short_potsdam_configs(out_dir, POTSDAM, PRETRAIN,
                                    FINETUNE.format(18 if smoke else 50), smoke)
    tests = ['tests/test_models/test_cuda.py', 'tests/test_models/test_mmcv_ops.py']
    junit, rows = osp.join(out_dir, 'cuda_tests.xml'), osp.join(out_dir, 'gs_step_amp.jsonl')
    steps.run(
        'cuda_tests',
        [py, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--junitxml={junit}', *tests] +
        (['-k', 'selection and 7 or kernel'] if smoke else []),
        limit=300 if smoke else 100,
        check=partial(pytest_check, junit),
        env=dict(GRASS_MM_CUDA_TEST_DEVICE='cpu') if smoke else {})

    bench = [
        py, 'tools/analysis_tools/benchmark_speed.py', '--steps', '3', '--warmup', '1', '--out',
        rows
    ]
    if smoke:
        bench += ['--depths', '18', '--sizes', '64', '--batch', '4', '--steps', '1']
    else:
        bench += ['--depths', '50', '--sizes', '224', '--batch', '256', '--device', 'cuda', '--amp']
    steps.run('gs_step_amp', bench, limit=300 if smoke else 75, check=partial(bench_check, rows))

    work = osp.join(out_dir, 'work')
    amp = [] if smoke else ['--amp']
    options = ['--cfg-options', 'model.backbone.depth=18', 'model.neck.in_channels=512'
               ] if smoke else []
    steps.run(
        'pretrain_switch', [
            py, 'tools/train.py', configs['pretrain'], '--work-dir',
            osp.join(work, 'pretrain'), *amp, *options
        ],
        limit=300 if smoke else 120,
        check=partial(stage_check, osp.join(work, 'pretrain')))
    backbone = osp.join(work, 'backbone.pth')
    steps.run(
        'export_backbone', [
            py, 'tools/model_converters/extract_backbone.py',
            osp.join(work, 'pretrain', 'epoch_2.pth'), backbone
        ],
        limit=60 if smoke else 20)
    steps.run(
        'finetune_mmseg', [
            py, 'tools/train.py', configs['finetune'], '--work-dir',
            osp.join(work, 'finetune'), '--cfg-options',
            f'model.backbone.init_cfg.checkpoint={backbone}', *amp
        ],
        limit=180 if smoke else 60,
        check=partial(finetune_check, osp.join(work, 'finetune')))
    steps.run(
        'nccl_world1', [
            'bash', 'tools/dist_train.sh', configs['dist'], '1', '--work-dir',
            osp.join(work, 'dist'), *amp, *options
        ],
        limit=300 if smoke else 75,
        check=partial(stage_check, osp.join(work, 'dist')),
        env=dict(PORT=os.environ.get('PORT', '29517')))


if __name__ == '__main__':
    sys.exit(main())
