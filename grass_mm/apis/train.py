"""Training with an mmengine Runner behind the work-dir guard.

The library side of ``python -m grass_mm.cli.train`` (which parses the command line): a config
is prepared (:func:`prepare_config`), its work dir claimed for one run (:func:`claim`:
:mod:`grass_mm.utils.workdir`, a second run into a live work dir is refused, one that holds
checkpoints needs a resume or a new run, a resume continues a checkpoint only in its own run's
work dir), then trained (:func:`train`, which saves a checkpoint and exits with status 143 on
SIGTERM: :class:`grass_mm.engine.hooks.PreemptionHook`).
"""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from grass_mm.utils import setup_cpu_distributed
from grass_mm.utils.config import check_stage_switch
from grass_mm.utils.workdir import claim_work_dir


def prepare_config(cfg: Config,
                   config: str,
                   work_dir: Optional[str] = None,
                   amp: bool = False,
                   resume: Optional[str] = None,
                   launcher: str = 'none') -> Config:
    """Apply the run's settings to ``cfg`` (the file ``config``) and check its stage switch.

    Args:
        cfg: The loaded config (its ``--cfg-options`` merged).
        config: Its file, for the default work dir and the messages.
        work_dir: The work dir (default: the config's, else ``work_dirs/<config name>``).
        amp: Mixed precision (``AmpOptimWrapper``; a GPU only).
        resume: ``'auto'`` (the work dir's latest checkpoint), a checkpoint, or None.
        launcher: mmengine's launcher.

    Raises:
        ValueError: AMP without a GPU or with another optimiser wrapper; a GraSS config whose
            stage switch is missing or misplaced (the config named).
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    if amp:
        if not torch.cuda.is_available():
            raise ValueError('--amp needs a GPU: mmengine\'s AmpOptimWrapper runs on '
                             'gpu/npu/mlu/musa only; train in fp32 on CPU')
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {optim_wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume
    # torch refuses persistent workers without workers (mmpretrain's train.py forces them on).
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader is not None and loader.get('num_workers', 0) == 0:
            loader.persistent_workers = False
    try:
        check_stage_switch(cfg)
    except ValueError as err:
        raise ValueError(f'{config}: {err}') from None
    return cfg


def claim(cfg: Config, new_run: bool = False, takeover_lock: bool = False) -> Optional[str]:
    """Claim ``cfg.work_dir`` for this run (rank 0 claims for all ranks) and point ``cfg`` at
    what was claimed: the work dir (a new ``run_<timestamp>`` subfolder where one was needed),
    the checkpoint to resume, and the run id its checkpoints record (``RunIdHook``).

    Returns:
        str | None: What to tell the user about a choice made here.

    Raises:
        FileExistsError, FileNotFoundError, RuntimeError, ValueError: Refusals of
            :func:`grass_mm.utils.workdir.claim_work_dir`, each naming what to do instead.
    """
    if int(os.environ.get('RANK', '0')) != 0:
        return None
    if new_run and cfg.get('launcher', 'none') != 'none':
        raise ValueError('--new-run picks a new subfolder per process; with --launcher, give a '
                         'new --work-dir instead')
    claimed = claim_work_dir(cfg.work_dir, bool(cfg.get('resume')),
                             cfg.get('load_from') if cfg.get('resume') else None, new_run,
                             takeover_lock)
    cfg.work_dir = claimed['work_dir']
    if cfg.get('resume') and claimed['load_from'] is not None:
        cfg.load_from = claimed['load_from']
    cfg.custom_hooks = [
        *cfg.get('custom_hooks', []),
        dict(type='RunIdHook', run_id=claimed['run_id'])
    ]
    return claimed['note']


def train(cfg: Config) -> Runner:
    """Build the Runner of a prepared, claimed config and train; return the Runner."""
    # Every rank stops at the same step on SIGTERM, with a checkpoint.
    cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(type='PreemptionHook')]
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner
