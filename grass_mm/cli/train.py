"""Train with an mmengine Runner (self-supervised pretraining or segmentation).

    python -m grass_mm.cli.train CONFIG [--work-dir DIR] [--resume [CKPT] | --new-run] [--amp]
        [--takeover-lock] [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

``tools/train.py`` and the benchmark's training steps run this command line; the work is
:func:`grass_mm.apis.train.train`.
"""
import argparse
import os
from typing import List, Optional

from mmengine.config import Config, DictAction

from grass_mm.apis.train import claim, prepare_config, train
from .checks import existing_config


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


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    try:
        cfg = prepare_config(cfg, args.config, args.work_dir, args.amp, args.resume, args.launcher)
        note = claim(cfg, args.new_run, args.takeover_lock)
    except (FileExistsError, FileNotFoundError, RuntimeError, ValueError) as err:
        raise SystemExit(f'train.py: {err}')
    if note:
        print(f'train.py: {note}', flush=True)
    train(cfg)


if __name__ == '__main__':
    main()
