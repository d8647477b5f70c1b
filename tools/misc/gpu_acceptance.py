"""The GPU acceptance run: every CUDA path once, in one prepared script that fits in 10 minutes.

    bash tools/gpu_acceptance.sh OUT_DIR          # the entry point (this script does the work)
    python tools/misc/gpu_acceptance.py OUT_DIR --cpu-smoke   # the same steps, tiny, on CPU

Steps, each a subprocess with its own time limit and log in OUT_DIR/logs/:

1. ``pytest -m cuda``: batched selection on CUDA against scipy, GS steps under fp16/bf16
   autocast against fp32, GS on MoCo v2/BYOL/DenseCL under AMP.
2. ``benchmark_speed.py --device cuda``: ResNet-50, 224 px, batch 64 and 256, with and without
   AMP (GraSS/SimCLR step ratio, selection share, peak memory ratio).
3. The Potsdam preset's pretraining (GraSS, ResNet-50, 224 px, batch 256, AMP) through the stage
   switch on the Potsdam crop in ``GRASS_MM_DATA`` (a few dozen iterations), the backbone
   exported, and a few fine-tuning iterations of its mmseg FCN config from it.
4. ``tools/dist_train.sh`` with NCCL on one GPU (world size 1) through the switch.
5. A paired mini-matrix: the Potsdam paired preset at the smoke schedule on the crop
   (``smoke_paired.py``, arms GraSS and GS-MoCo v2 with their shared warm-ups), every step of the
   paired harness on the GPU: init, warm-ups, continuations, probes, purity, mmseg, tables.

Writes OUT_DIR/summary.json and OUT_DIR/summary.md (each step: status, seconds, what it
measured). Exits 0 on a machine without CUDA after saying so in one line (unless --cpu-smoke).
"""
import argparse
import os
import os.path as osp
import sys

from grass_mm.benchmark.acceptance import (Steps, bench_check, finetune_check, paired_check,
                                           pytest_check, short_potsdam_configs, stage_check,
                                           write_summary)

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
    parser.add_argument('--budget', type=float, default=600, help='seconds for all steps')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    import torch
    if not args.cpu_smoke and not torch.cuda.is_available():
        print('gpu_acceptance: no CUDA GPU on this machine (torch.cuda.is_available() is False); '
              'nothing to run')
        return 0
    if osp.isdir(args.out_dir) and os.listdir(args.out_dir):
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
    steps = Steps(out_dir, 3 * args.budget if smoke else args.budget, REPO)
    py = sys.executable
    configs = short_potsdam_configs(out_dir, POTSDAM, PRETRAIN,
                                    FINETUNE.format(18 if smoke else 50), smoke)

    env = dict(GRASS_MM_CUDA_TEST_DEVICE='cpu') if smoke else {}
    tests = ['tests/test_models/test_cuda.py', '-k', 'selection and 7 or bf16'
             ] if smoke else ['tests']
    steps.run(
        'cuda_tests',
        [py, '-m', 'pytest', '-q', '-m', 'cuda', '-p', 'no:cacheprovider', *tests],
        limit=900 if smoke else 120,  # ResNet-50 steps on two CPU cores
        check=pytest_check,
        env=env)

    bench = [py, 'tools/analysis_tools/benchmark_speed.py', '--depths', '50', '--sizes', '224']
    if smoke:
        steps.run(
            'benchmark_b4', [
                *bench, '--depths', '18', '--sizes', '64', '--batch', '4', '--steps', '1',
                '--warmup', '1', '--plugins', 'byol'
            ],
            limit=300,
            check=bench_check)
    else:
        for batch in (64, 256):
            for amp in ([], ['--amp']):
                steps.run(
                    f"benchmark_b{batch}{'_amp' if amp else ''}", [
                        *bench, '--device', 'cuda', '--batch',
                        str(batch), '--steps', '3', '--warmup', '1', *amp
                    ],
                    limit=60,
                    check=bench_check)

    work = osp.join(out_dir, 'work')
    amp = [] if smoke else ['--amp']
    if smoke:
        options = ['--cfg-options', 'model.backbone.depth=18', 'model.neck.in_channels=512']
    else:
        options = []
    steps.run(
        'pretrain_potsdam', [
            py, 'tools/train.py', configs['pretrain'], '--work-dir',
            osp.join(work, 'pretrain'), *amp, *options
        ],
        limit=150,
        check=stage_check)
    backbone = osp.join(work, 'backbone.pth')
    steps.run(
        'export_backbone', [
            py, 'tools/model_converters/extract_backbone.py',
            osp.join(work, 'pretrain', 'epoch_2.pth'), backbone
        ],
        limit=30)
    steps.run(
        'finetune_potsdam',
        [
            py, 'tools/train.py', configs['finetune'], '--work-dir',
            osp.join(work, 'finetune'), '--cfg-options',
            f'model.backbone.init_cfg.checkpoint={backbone}'
        ] + ([] if smoke else ['--amp']),
        limit=90,
        check=finetune_check)
    steps.run(
        'dist_train_nccl_1gpu', [
            'bash', 'tools/dist_train.sh', configs['dist'], '1', '--work-dir',
            osp.join(work, 'dist'), *amp, *options
        ],
        limit=90,
        check=stage_check,
        env=dict(PORT=os.environ.get('PORT', '29517')))
    steps.run(
        'paired_mini_matrix', [
            py, 'tools/benchmarks/smoke_paired.py', 'configs/benchmark_matrix/potsdam_r50_gpu.py',
            POTSDAM, '--work-dir',
            osp.join(work, 'paired'), '--arms', 'grass', 'gs_mocov2'
        ],
        limit=900 if smoke else 180,
        check=paired_check)
    ok = write_summary(out_dir, steps, device, smoke, TARGETS)
    print(f"gpu_acceptance: {'PASSED' if ok else 'FAILED'}; {osp.join(out_dir, 'summary.md')}")
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
