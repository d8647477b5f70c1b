"""GPU-hours of the paired GPU presets on one GPU: counted FLOPs over an assumed sustained rate.

    python tools/analysis_tools/gpu_cost.py                  # all four presets + the first answer
    python tools/analysis_tools/gpu_cost.py --tflops 60 120  # other assumed rates

An estimate until a GPU measures a step (grass_mm/speed/gpu_cost.py says how it counts).
"""
import argparse

from mmengine.config import Config

from grass_mm.benchmark.matrix import load_paired_matrix
from grass_mm.speed.gpu_cost import (finetune_step_gflops, first_answer, preset_plan,
                                     pretrain_gflops, rows)

PRESETS = ['potsdam', 'vaihingen', 'loveda_urban', 'loveda_rural']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--tflops',
        type=float,
        nargs='+',
        default=[60, 120],
        help='assumed sustained training rates, TFLOP/s (one column each)')
    args = parser.parse_args()
    matrices = {d: load_paired_matrix(f'configs/benchmark_matrix/{d}_r50_gpu.py') for d in PRESETS}
    potsdam = matrices['potsdam']
    step, gs_extra = {}, {}
    for name, spec in potsdam.warmups.items():  # the GS twin's config; its warm-up is the base
        step[name], gs_extra[name] = pretrain_gflops(spec['config'])
        print(f'{name}: base step {step[name]:.1f} GFLOP/image, GS adds {gs_extra[name]:.1f}')
    seg_step = finetune_step_gflops(potsdam.names['seg'])
    seg = Config.fromfile(potsdam.names['seg'])
    print(f'DeepLabV3+ R-50-D8: {seg_step:.0f} GFLOP per 512x512 image per step; '
          f'{seg.train_cfg.max_iters} iterations of batch '
          f'{seg.train_dataloader.batch_size * potsdam.gpus["finetune"]}')
    plans = {d: preset_plan(m, d) for d, m in matrices.items()}
    plans['potsdam, first answer'] = first_answer(plans['potsdam'])
    print('\n| plan | pretraining images x epochs | ' +
          ' | '.join(f'GPU-h at {r:g} TFLOP/s (pretrain + fine-tune)' for r in args.tflops) + ' |')
    print('|---|---|' + '---|' * len(args.tflops))
    print('\n'.join(rows(plans, step, gs_extra, seg_step, args.tflops)))


if __name__ == '__main__':
    main()
