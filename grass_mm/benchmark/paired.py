"""Paired pretraining arms from one start per seed (the benchmark protocol at every scale).

Per pretraining seed:

1. one random init (``init.pth``: the model of ``init_config``, else of the first warm-up's
   config, built and initialised from the seed), which is also the random-init arm; a warm-up of
   another config starts from the same backbone weights (``init_<warm-up>.pth``: its own neck and
   head from the seed). A later matrix names an earlier one's ``init_config`` to share its init
   bit for bit;
2. one shared warm-up per method family (``warmups``: e.g. SimCLR's loss for SimCLR, GraSS and
   the random-box control; MoCo v2's for MoCo v2 and GS-MoCo v2), stopped after its ``epochs``
   of the full schedule (the learning-rate schedule is the full one, cut short);
3. continuations of a warm-up's last checkpoint to the end of the schedule (``from_='warmup'``,
   ``warmup=`` naming which): mmengine's resume restores the weights, optimiser, schedule, seed
   and epoch, so every continuation of one warm-up sees the same data order and augmentation
   draws (``BatchDigestHook`` records the first batches' digests to show it);
4. full runs from the shared init (``from_='init'``);
5. the probes (:mod:`grass_mm.cli.linear_probe`: leave-one-tile-out, or the held-out
   validation split of ``probe.dataset_config``) of the init and every arm at ``probe_epochs``,
   and the sampling purity (:mod:`grass_mm.cli.sampling_purity`) of ``purity.arms`` at
   ``purity.epochs``;
6. where the matrix has ``screen``: its arm (e.g. GraSS) continued from the warm-up, unprobed,
   and the candidate guides screened by purity on ``screen.sources`` (``guides/<source>``);
7. where the matrix has ``segmentation``: mmseg fine-tunings (its config, at its fine-tuning
   ``seeds``) of the init and the arms' checkpoints at ``epoch``, for the pretraining seeds it
   names (``seg/<arm>_ep<epoch>_ft<seed>/result.json``; :mod:`.segmentation`).

A matrix with one warm-up may name it ``warmup=dict(config=, epochs=)`` (its folder is
``pretrain/warmup``). Training steps run :mod:`grass_mm.cli.train` over ``gpus.pretrain`` and
``gpus.finetune`` processes (under torchrun when more than one). Every step runs in its own
process from the working directory, which the matrix's relative paths are read from. Every step
is skipped when its output exists, and an interrupted training resumes from its own last
checkpoint, so rerunning the same command continues where a run stopped.
"""
import json
import os
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import set_random_seed

from grass_mm.utils import load_local_checkpoint
from grass_mm.utils.config import find_hook
from .matrix import arm_warmup, warmups
from .segmentation import run_segmentation
from .steps import call, train_command


def make_init(config: str, seed: int, out: str, backbone_of: Optional[str] = None) -> None:
    """Save ``config``'s model as its own ``init_weights`` leaves it for ``seed``; with
    ``backbone_of`` (an init file), its backbone takes that file's backbone weights (momentum
    encoders copy the backbone at their first update, so they follow)."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    set_random_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')  # not the init report of every tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    if backbone_of is not None:
        shared = load_local_checkpoint(backbone_of, map_location='cpu')['state_dict']
        model.backbone.load_state_dict({
            k[len('backbone.'):]: v
            for k, v in shared.items() if k.startswith('backbone.')
        })
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(seed=seed, config=config)), out + '.tmp')
    os.replace(out + '.tmp', out)


class PairedPlan:
    """The steps of one pretraining seed; ``run`` executes the ones whose output is missing.

    Args:
        matrix (Config): A paired matrix (``configs/benchmark_matrix/``).
        seed (int): The pretraining seed.
        log (callable): Where status lines go.
    """

    def __init__(self, matrix: Config, seed: int, log: Callable[[str], None] = print) -> None:
        self.matrix = matrix
        self.seed = seed
        self.log = log
        self.warmups = warmups(matrix)
        self.dir = osp.abspath(osp.join(matrix.work_dir, f'seed{seed}'))
        self.init = osp.join(self.dir, 'init.pth')
        first = next(iter(self.warmups.values()))
        self.init_config = matrix.get('init_config') or first.config
        warmup = Config.fromfile(first.config)
        warmup.merge_from_dict(matrix.get('pretrain_cfg_options', {}))
        self.max_epochs = warmup.train_cfg.max_epochs
        self.gpus = matrix.get('gpus', {})

    # -- paths -------------------------------------------------------------------------------
    def arm_dir(self, arm: str) -> str:
        return osp.join(self.dir, 'pretrain', arm)

    def init_of(self, warmup: str) -> str:
        """The init a warm-up starts from (the shared ``init.pth`` where its config is the
        init's)."""
        if self.warmups[warmup].config == self.init_config:
            return self.init
        return osp.join(self.dir, f'init_{warmup}.pth')

    def checkpoint(self, arm: str, epoch: int) -> str:
        """The checkpoint of ``arm`` (or a warm-up) at ``epoch`` (its warm-up's for the warm-up's
        epochs)."""
        if arm in self.matrix.arms and self.matrix.arms[arm].from_ == 'warmup':
            warmup = arm_warmup(self.matrix, arm)
            if epoch <= self.warmups[warmup].epochs:
                arm = warmup
        return osp.join(self.arm_dir(arm), f'epoch_{epoch}.pth')

    def config_of(self, name: str) -> str:
        """The pretraining config of an arm or a warm-up."""
        return (self.warmups[name] if name in self.warmups else self.matrix.arms[name]).config

    # -- steps -------------------------------------------------------------------------------
    def _write_timing(self, name: str, timing: dict) -> None:
        path = osp.join(self.dir, 'timings.json')
        timings = json.load(open(path)) if osp.isfile(path) else {}
        timings[name] = timing
        with open(path + '.tmp', 'w') as f:
            json.dump(timings, f, indent=1)
        os.replace(path + '.tmp', path)

    def train(self,
              arm: str,
              config: str,
              epochs: int,
              start: Optional[str],
              resume_from: Optional[str],
              warmup_epochs: Optional[int] = None) -> None:
        """Train ``arm`` to ``epochs`` unless its checkpoint there exists."""
        wd = self.arm_dir(arm)
        if osp.isfile(osp.join(wd, f'epoch_{epochs}.pth')):
            return
        os.makedirs(wd, exist_ok=True)
        cfg = Config.fromfile(config)
        cfg.merge_from_dict(self.matrix.get('pretrain_cfg_options', {}))
        cfg.randomness = dict(seed=self.seed, deterministic=False)
        cfg.train_cfg.max_epochs = epochs
        cfg.default_hooks.checkpoint.update(
            interval=self.matrix.get('checkpoint_interval', 3), max_keep_ckpts=-1)
        switch = find_hook(cfg)
        if (switch is not None and warmup_epochs is not None
                and switch.get('warmup_epochs') != warmup_epochs):
            # A continuation must switch where the shared warm-up stopped.
            raise ValueError(f'{config}: GraSSStageHook warmup_epochs='
                             f"{switch.get('warmup_epochs')} but the shared warm-up is "
                             f'{warmup_epochs} epochs')
        cfg.custom_hooks = list(cfg.get('custom_hooks',
                                        [])) + [dict(type='BatchDigestHook', num_batches=2)]
        cfg.load_from, cfg.resume = start, False
        run_config = osp.join(wd, 'run_config.py')
        cfg.dump(run_config)
        argv = train_command(run_config, wd, self.gpus.get('pretrain', 1), resume_from)
        self.log(f'seed {self.seed}: training {arm} to epoch {epochs}')
        self._write_timing(f'train/{arm}', call(argv, osp.join(wd, 'stdout.log')))

    def probe(self, name: str, source: str, config: str) -> None:
        """The linear and k-NN probes of one backbone (``probe.json`` in ``probe/<name>``), read
        through ``config``'s backbone and normalisation."""
        out = osp.join(self.dir, 'probe', name)
        if osp.isfile(osp.join(out, 'probe.json')):
            return
        p = self.matrix.probe
        argv = [
            sys.executable, '-m', 'grass_mm.cli.linear_probe', source, '--names', name, '--out-dir',
            out, '--config', config, '--stages', *map(str, p.stages), '--seed',
            str(p.seed)
        ]
        if p.get('dataset_config'):  # the held-out split of an mmseg config
            argv += ['--dataset-config', p.dataset_config]
            argv += ['--max-images', str(p.max_images)] if p.get('max_images') else []
        else:  # leave-one-tile-out on the Dubai tiles
            argv += ['--fractions', *map(str, p.fractions), '--subset-seed', str(p.subset_seed)]
        argv += [str(a) for a in p.get('extra_args', [])]
        os.makedirs(osp.dirname(out), exist_ok=True)
        self.log(f'seed {self.seed}: probing {name}')
        self._write_timing(f'probe/{name}', call(argv, out + '.log'))

    def _purity(self, name: str, out: str, config: str, checkpoint: str, extra: List[str]) -> None:
        p = self.matrix.purity
        argv = [
            sys.executable, '-m', 'grass_mm.cli.sampling_purity', config, '--checkpoint',
            checkpoint, '--img-dir', p.img_dir, '--ann-dir', p.ann_dir, '--ignore-labels',
            *map(str, p.ignore_labels), '--num-images',
            str(p.num_images), '--seed',
            str(p.seed), '--out-dir', out
        ] + extra
        os.makedirs(osp.dirname(out), exist_ok=True)
        self._write_timing(name, call(argv, out + '.log'))

    def purity(self, arm: str, epoch: int) -> None:
        out = osp.join(self.dir, 'purity', f'{arm}_ep{epoch}')
        if not osp.isfile(osp.join(out, 'summary.json')):
            self.log(f'seed {self.seed}: purity of {arm} at epoch {epoch}')
            self._purity(f'purity/{arm}_ep{epoch}', out, self.config_of(arm),
                         self.checkpoint(arm, epoch), [])

    def screen(self, source: str) -> None:
        """Screen the candidate guides on one checkpoint (``screen.json`` in
        ``guides/<source>``): ``warmup_ep<N>`` or ``<screen arm>_ep<N>``."""
        out = osp.join(self.dir, 'guides', source)
        if osp.isfile(osp.join(out, 'screen.json')):
            return
        s = self.matrix.screen
        arm, _, epoch = source.rpartition('_ep')
        self.log(f'seed {self.seed}: screening guides on {source}')
        self._purity(f'screen/{source}', out, s.config,
                     osp.join(self.arm_dir(arm), f'epoch_{epoch}.pth'),
                     ['--guides', *s.guides, '--thresholds', *map(str, s.thresholds)])

    def run(self, arms: Optional[List[str]] = None) -> None:
        """Run every step of the seed, or only those of ``arms`` (with the init, warm-ups and
        random-init probe they start from; purity only for those of them the matrix names)."""
        m = self.matrix
        unknown = sorted(set(arms or []) - set(m.arms))
        if unknown:
            raise KeyError(f'arms {unknown} are not in the matrix (its arms: {sorted(m.arms)})')
        arms = arms or list(m.arms)
        os.makedirs(self.dir, exist_ok=True)
        if not osp.isfile(self.init):
            make_init(self.init_config, self.seed, self.init)
        for name, spec in self.warmups.items():
            init = self.init_of(name)
            if not osp.isfile(init):
                make_init(spec.config, self.seed, init, self.init)
        self.probe('random', self.init, self.init_config)
        for name, spec in self.warmups.items():
            # A GS config as warm-up must not switch before the warm-up stops.
            self.train(
                name,
                spec.config,
                spec.epochs,
                start=self.init_of(name),
                resume_from=None,
                warmup_epochs=spec.epochs)
            self.probe(f'{name}_ep{spec.epochs}', self.checkpoint(name, spec.epochs), spec.config)
        for arm in arms:
            spec = m.arms[arm]
            if spec.from_ == 'warmup':
                warmup = self.warmups[arm_warmup(m, arm)]
                self.train(
                    arm,
                    spec.config,
                    self.max_epochs,
                    start=None,
                    resume_from=self.checkpoint(arm_warmup(m, arm), warmup.epochs),
                    warmup_epochs=warmup.epochs)
            else:
                self.train(arm, spec.config, self.max_epochs, start=self.init, resume_from=None)
            for epoch in m.probe_epochs:
                if spec.from_ == 'warmup' and epoch <= self.warmups[arm_warmup(m, arm)].epochs:
                    continue  # the shared warm-up's probe
                self.probe(f'{arm}_ep{epoch}', self.checkpoint(arm, epoch), spec.config)
        if m.get('purity'):
            source = m.purity.get('convert_dubai_aerial')
            if source is not None and not osp.isdir(m.purity.img_dir):
                from grass_mm.datasets import convert_dubai_aerial
                convert_dubai_aerial(source, m.purity.data_root)
            for arm in (a for a in m.purity.arms if a in arms):
                for epoch in m.purity.epochs:
                    self.purity(arm, epoch)
        if m.get('screen'):
            # The arm whose late checkpoints are screened (trained, not probed), then the screens.
            warmup = next(iter(self.warmups))
            self.train(
                m.screen.arm,
                m.screen.config,
                self.max_epochs,
                start=None,
                resume_from=self.checkpoint(warmup, self.warmups[warmup].epochs),
                warmup_epochs=self.warmups[warmup].epochs)
            for source in m.screen.sources:
                self.screen(source)
        seg = m.get('segmentation')
        if seg and self.seed in seg.pretrain_seeds:
            run_segmentation(self, seg)


def run_paired_seed(matrix: Config,
                    seed: int,
                    log: Callable[[str], None] = print,
                    arms: Optional[List[str]] = None) -> Dict[str, str]:
    """Run (or continue) every step of one seed, or of ``arms`` only; return its folder."""
    plan = PairedPlan(matrix, seed, log)
    plan.run(arms)
    return dict(seed_dir=plan.dir)
