"""Train with an mmengine Runner (self-supervised pretraining or segmentation).

    python -m grass_mm.apis.train CONFIG [--work-dir DIR] [--resume [CKPT] | --new-run] [--amp]
        [--takeover-lock] [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

The repository's train script and the benchmark's training steps both run this module.

The work dir is guarded (grass_mm.utils.workdir): a second run into a live one is refused, and
one that holds checkpoints needs --resume (continue) or --new-run (a fresh run in a subfolder);
a resume continues a checkpoint only in its own run's work dir. SIGTERM saves a checkpoint at the
current iteration and exits with status 143 (PreemptionHook).
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from grass_mm.utils import setup_cpu_distributed
from grass_mm.utils.cli import existing_config
from grass_mm.utils.config import check_stage_switch
from grass_mm.utils.workdir import claim_work_dir


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', type=existing_config, help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or, without a value, from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, e.g. model.backbone.depth=18')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--new-run',
        action='store_true',
        help='the work dir holds checkpoints of an earlier run: start a fresh run in a new '
        'subfolder of it (run_<timestamp>) instead of refusing; nothing is overwritten')
    parser.add_argument(
        '--takeover-lock',
        action='store_true',
        help='take the work dir\'s lock from a run on another host that has ended (a requeued '
        'job on a new node; one with the same SLURM_JOB_ID takes it without this flag)')
    # torch.distributed.launch (used by `mim train --launcher pytorch`) passes --local-rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command line to the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        if not torch.cuda.is_available():
            raise SystemExit('--amp needs a GPU: mmengine\'s AmpOptimWrapper runs on '
                             'gpu/npu/mlu/musa only; train in fp32 on CPU')
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {optim_wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    # torch refuses persistent workers without workers (mmpretrain's train.py forces them on).
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader is not None and loader.get('num_workers', 0) == 0:
            loader.persistent_workers = False
    return cfg


def claim(cfg: Config, args: argparse.Namespace) -> None:
    """One run per work dir, no checkpoint overwritten, a resume that finds its file
    (grass_mm.utils.workdir); rank 0 of a distributed run checks for all ranks."""
    if int(os.environ.get('RANK', '0')) != 0:
        return
    if args.new_run and args.launcher != 'none':
        raise SystemExit('--new-run picks a new subfolder per process; with --launcher, give a '
                         'new --work-dir instead')
    try:
        claimed = claim_work_dir(cfg.work_dir, bool(cfg.get('resume')),
                                 cfg.get('load_from') if cfg.get('resume') else None, args.new_run,
                                 args.takeover_lock)
    except (FileExistsError, FileNotFoundError, RuntimeError, ValueError) as err:
        raise SystemExit(f'train.py: {err}')
    if claimed['note']:
        print(f'train.py: {claimed["note"]}', flush=True)
    cfg.work_dir = claimed['work_dir']
    if cfg.get('resume') and claimed['load_from'] is not None:
        cfg.load_from = claimed['load_from']
    cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(type='RunIdHook', run_id=claimed['run_id'])]


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg = merge_args(cfg, args)
    try:
        check_stage_switch(cfg)
    except ValueError as err:
        raise SystemExit(f'train.py: {args.config}: {err}')
    # Every rank stops at the same step on SIGTERM, with a checkpoint (PreemptionHook).
    cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(type='PreemptionHook')]
    claim(cfg, args)
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
