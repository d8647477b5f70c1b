"""Evaluate a checkpoint with an mmengine Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
                         [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import grass_mm  # noqa: F401  (registration and stack fixes)
from grass_mm.cli.checks import existing_config, existing_file
from grass_mm.utils import setup_cpu_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', type=existing_config, help='test config file path')
    parser.add_argument('checkpoint', type=existing_file, help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='dump the evaluation results to this pickle file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, e.g. test_dataloader.batch_size=1')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} not found')
    cfg.load_from = args.checkpoint
    if cfg.get('test_dataloader') is None:
        raise ValueError(f'{args.config} has no test_dataloader to evaluate on')
    if cfg.test_dataloader.get('num_workers', 0) == 0:
        cfg.test_dataloader.persistent_workers = False
    if args.out is not None:
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(cfg.test_evaluator, dict) \
            else list(cfg.test_evaluator)
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    # A checkpoint that does not fit is an error, also for a config without our runtime hooks
    # (mmengine loads with strict=False and only logs the differences).
    hooks = [h.get('type') for h in cfg.get('custom_hooks', [])]
    hooks += [h.get('type') for h in (cfg.get('default_hooks') or {}).values() if h]
    if 'CheckpointMatchHook' not in hooks:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [dict(type='CheckpointMatchHook')]
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    main()
