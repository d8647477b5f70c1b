"""Paired pretraining arms from one start per seed (benchmark v2, part 2).

Per pretraining seed:

1. one random init (``init.pth``: the warm-up config's model, built and initialised from the
   seed), which is also the random-init arm;
2. one shared warm-up (``warmup``) from that init, stopped after ``warmup.epochs`` epochs of the
   full schedule (the learning-rate schedule is the 30-epoch one, cut short);
3. continuations of the warm-up's last checkpoint to the end of the schedule (``from_='warmup'``):
   mmengine's resume restores the weights, optimiser, schedule, seed and epoch, so every
   continuation sees the same data order and augmentation draws (``BatchDigestHook`` records the
   first batches' digests to show it);
4. full runs from the same init (``from_='init'``);
5. the probes (``tools/analysis_tools/linear_probe.py``) of the init and every arm at
   ``probe_epochs``, and the sampling purity (``sampling_purity.py``) of ``purity.arms`` at
   ``purity.epochs``;
6. where the matrix has ``screen``: its arm (e.g. GraSS) continued from the warm-up, unprobed,
   and the candidate guides screened by purity on ``screen.sources`` (``guides/<source>``);
7. where the matrix has ``segmentation``: one mmseg fine-tuning per arm (its config, one
   leave-one-tile-out fold, one seed) of the init and the arms' checkpoints at ``epoch``, for
   the pretraining seeds it names (``seg/<arm>_ep<epoch>/result.json``).

Every step is skipped when its output exists, and an interrupted training resumes from its own
last checkpoint, so rerunning the same command continues where a run stopped.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import find_latest_checkpoint, set_random_seed

PAIRED_KEYS = ('work_dir', 'pretrain_seeds', 'warmup', 'arms', 'probe_epochs', 'probe')


def load_paired_matrix(path: str) -> Config:
    """Load a paired matrix file and check it names what the runner needs."""
    matrix = Config.fromfile(path)
    missing = [k for k in PAIRED_KEYS if k not in matrix]
    if missing:
        raise KeyError(f'{path}: paired-matrix keys {missing} are missing (expected '
                       f'{PAIRED_KEYS})')
    configs = dict(warmup=matrix.warmup.config, **{k: v.config for k, v in matrix.arms.items()})
    for name, cfg in configs.items():
        if not osp.isfile(cfg):
            raise FileNotFoundError(f'{path}: {name}: no config {cfg}')
    for name, arm in matrix.arms.items():
        if arm.get('from_') not in ('warmup', 'init'):
            raise ValueError(f"{path}: arms.{name}.from_ must be 'warmup' or 'init', got "
                             f"{arm.get('from_')!r}")
    return matrix


def make_init(config: str, seed: int, out: str) -> None:
    """Save ``config``'s model as its own ``init_weights`` leaves it for ``seed``."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    set_random_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(seed=seed, config=config)), out + '.tmp')
    os.replace(out + '.tmp', out)


class PairedPlan:
    """The steps of one pretraining seed; ``run`` executes the ones whose output is missing.

    Args:
        matrix (Config): A paired matrix (``configs/benchmark_matrix/*paired*.py``).
        seed (int): The pretraining seed.
        repo (str): The checkout whose ``tools/`` run the steps.
        log (callable): Where status lines go.
    """

    def __init__(self,
                 matrix: Config,
                 seed: int,
                 repo: str,
                 log: Callable[[str], None] = print) -> None:
        self.matrix = matrix
        self.seed = seed
        self.repo = repo
        self.log = log
        self.dir = osp.abspath(osp.join(matrix.work_dir, f'seed{seed}'))
        self.init = osp.join(self.dir, 'init.pth')
        warmup = Config.fromfile(matrix.warmup.config)
        warmup.merge_from_dict(matrix.get('pretrain_cfg_options', {}))
        self.max_epochs = warmup.train_cfg.max_epochs

    # -- paths -------------------------------------------------------------------------------
    def arm_dir(self, arm: str) -> str:
        return osp.join(self.dir, 'pretrain', arm)

    def checkpoint(self, arm: str, epoch: int) -> str:
        """The checkpoint of ``arm`` at ``epoch`` (the shared warm-up's for its epochs)."""
        if (arm != 'warmup' and self.matrix.arms[arm].from_ == 'warmup'
                and epoch <= self.matrix.warmup.epochs):
            arm = 'warmup'
        return osp.join(self.arm_dir(arm), f'epoch_{epoch}.pth')

    # -- steps -------------------------------------------------------------------------------
    def _env(self) -> dict:
        return dict(
            os.environ, PYTHONPATH=os.pathsep.join([self.repo,
                                                    os.environ.get('PYTHONPATH', '')]))

    def _call(self, argv: List[str], log_file: str) -> dict:
        start = time.time()
        with open(log_file, 'a') as out:
            child = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.repo, env=self._env())
            _, status, usage = os.wait4(child.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError(f'exit {code}: {" ".join(argv)} (log: {log_file})')
        return dict(
            wall_s=round(time.time() - start, 1), max_rss_gb=round(usage.ru_maxrss / 2**20, 2))

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
              options: Optional[dict] = None) -> None:
        """Train ``arm`` to ``epochs`` unless its checkpoint there exists."""
        wd = self.arm_dir(arm)
        if osp.isfile(osp.join(wd, f'epoch_{epochs}.pth')):
            return
        os.makedirs(wd, exist_ok=True)
        cfg = Config.fromfile(config)
        cfg.merge_from_dict(self.matrix.get('pretrain_cfg_options', {}))
        cfg.merge_from_dict(options or {})
        cfg.randomness = dict(seed=self.seed, deterministic=False)
        cfg.train_cfg.max_epochs = epochs
        cfg.default_hooks.checkpoint.update(
            interval=self.matrix.get('checkpoint_interval', 3), max_keep_ckpts=-1)
        for hook in cfg.get('custom_hooks', []):
            if (hook['type'] == 'GraSSStageHook' and arm != 'warmup'
                    and hook.get('warmup_epochs') != self.matrix.warmup.epochs):
                # A continuation must switch where the shared warm-up stopped.
                raise ValueError(f'{config}: GraSSStageHook warmup_epochs='
                                 f"{hook.get('warmup_epochs')} but the shared warm-up is "
                                 f'{self.matrix.warmup.epochs} epochs')
        cfg.custom_hooks = list(cfg.get('custom_hooks',
                                        [])) + [dict(type='BatchDigestHook', num_batches=2)]
        cfg.load_from, cfg.resume = None, False
        if start is not None:
            cfg.load_from = start
        run_config = osp.join(wd, 'run_config.py')
        cfg.dump(run_config)
        argv = [
            sys.executable,
            osp.join(self.repo, 'tools', 'train.py'), run_config, '--work-dir', wd
        ]
        if find_latest_checkpoint(wd):
            argv.append('--resume')  # an interrupted run continues from its own checkpoint
        elif resume_from is not None:
            argv += ['--resume', resume_from]
        self.log(f'seed {self.seed}: training {arm} to epoch {epochs}')
        self._write_timing(f'train/{arm}', self._call(argv, osp.join(wd, 'stdout.log')))

    def probe(self, name: str, source: str) -> None:
        """The linear and k-NN probes of one backbone (``probe.json`` in ``probe/<name>``)."""
        out = osp.join(self.dir, 'probe', name)
        if osp.isfile(osp.join(out, 'probe.json')):
            return
        p = self.matrix.probe
        argv = [
            sys.executable,
            osp.join(self.repo, 'tools', 'analysis_tools',
                     'linear_probe.py'), source, '--names', name, '--out-dir', out, '--stages',
            *map(str, p.stages), '--fractions', *map(str, p.fractions), '--subset-seed',
            str(p.subset_seed), '--seed',
            str(p.seed), *map(str, p.get('extra_args', []))
        ]
        os.makedirs(osp.dirname(out), exist_ok=True)
        self.log(f'seed {self.seed}: probing {name}')
        self._write_timing(f'probe/{name}', self._call(argv, out + '.log'))

    def purity(self, arm: str, epoch: int) -> None:
        out = osp.join(self.dir, 'purity', f'{arm}_ep{epoch}')
        if osp.isfile(osp.join(out, 'summary.json')):
            return
        p = self.matrix.purity
        argv = [
            sys.executable,
            osp.join(self.repo, 'tools', 'analysis_tools',
                     'sampling_purity.py'), self.matrix.arms[arm].config, '--checkpoint',
            self.checkpoint(arm, epoch), '--img-dir', p.img_dir, '--ann-dir', p.ann_dir,
            '--ignore-labels', *map(str, p.ignore_labels), '--num-images',
            str(p.num_images), '--seed',
            str(p.seed), '--out-dir', out
        ]
        os.makedirs(osp.dirname(out), exist_ok=True)
        self.log(f'seed {self.seed}: purity of {arm} at epoch {epoch}')
        self._write_timing(f'purity/{arm}_ep{epoch}', self._call(argv, out + '.log'))

    def screen(self, source: str) -> None:
        """Screen the candidate guides on one checkpoint (``screen.json`` in
        ``guides/<source>``): ``warmup_ep<N>`` or ``<screen arm>_ep<N>``."""
        out = osp.join(self.dir, 'guides', source)
        if osp.isfile(osp.join(out, 'screen.json')):
            return
        s, p = self.matrix.screen, self.matrix.purity
        arm, _, epoch = source.rpartition('_ep')
        checkpoint = osp.join(self.arm_dir(arm), f'epoch_{epoch}.pth')
        argv = [
            sys.executable,
            osp.join(self.repo, 'tools', 'analysis_tools', 'sampling_purity.py'), s.config,
            '--checkpoint', checkpoint, '--img-dir', p.img_dir, '--ann-dir', p.ann_dir,
            '--ignore-labels', *map(str, p.ignore_labels), '--num-images',
            str(p.num_images), '--seed',
            str(p.seed), '--out-dir', out, '--guides', *s.guides, '--thresholds',
            *map(str, s.thresholds)
        ]
        os.makedirs(osp.dirname(out), exist_ok=True)
        self.log(f'seed {self.seed}: screening guides on {source}')
        self._write_timing(f'screen/{source}', self._call(argv, out + '.log'))

    def segmentation_config(self, backbone: str) -> Config:
        """``matrix.segmentation.config`` on ``backbone``, its fold, seed and ``cfg_options``."""
        s = self.matrix.segmentation
        cfg = Config.fromfile(s.config)
        tiles = sorted({*cfg.train_dataloader.dataset.tiles, *cfg.val_dataloader.dataset.tiles})
        if s.fold not in tiles:
            raise ValueError(f'segmentation.fold={s.fold} is not one of the tiles {tiles}')
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[loader].dataset.data_root = osp.abspath(s.data_root)
            cfg[loader].dataset.tiles = ([t for t in tiles if t != s.fold]
                                         if loader == 'train_dataloader' else [s.fold])
        cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=backbone)
        cfg.randomness = dict(seed=s.seed)
        cfg.merge_from_dict(s.get('cfg_options', {}))
        # A checkpoint at every validation, so an interrupted fine-tuning resumes.
        cfg.default_hooks.checkpoint.update(interval=cfg.train_cfg.val_interval, max_keep_ckpts=1)
        return cfg

    def segment(self, arm: str) -> None:
        """Fine-tune ``matrix.segmentation.config`` on ``arm``'s backbone (``'random'``: the
        init) and write the last validation's scalars to ``result.json``."""
        from grass_mm.benchmark.matrix import last_scalars, scalar_curve
        from grass_mm.utils.checkpoint import extract_backbone
        s = self.matrix.segmentation
        epoch = 0 if arm == 'random' else s.epoch
        wd = osp.join(self.dir, 'seg', f'{arm}_ep{epoch}')
        result = osp.join(wd, 'result.json')
        if osp.isfile(result):
            return
        os.makedirs(wd, exist_ok=True)
        backbone = osp.join(wd, 'backbone.pth')
        if not osp.isfile(backbone):
            extract_backbone(self.init if arm == 'random' else self.checkpoint(arm, epoch),
                             backbone)
        cfg = self.segmentation_config(backbone)
        run_config = osp.join(wd, 'run_config.py')
        cfg.dump(run_config)
        argv = [
            sys.executable,
            osp.join(self.repo, 'tools', 'train.py'), run_config, '--work-dir', wd
        ] + (['--resume'] if find_latest_checkpoint(wd) else [])
        self.log(f'seed {self.seed}: fine-tuning {osp.basename(s.config)} on {arm} '
                 f'(fold {s.fold})')
        timing = self._call(argv, osp.join(wd, 'stdout.log'))
        self._write_timing(f'seg/{arm}_ep{epoch}', timing)
        scalars = last_scalars(wd, 'mIoU')
        if scalars is None:
            raise RuntimeError(f'{wd}: the fine-tuning logged no mIoU')
        with open(result + '.tmp', 'w') as f:
            json.dump(
                dict(
                    scalars,
                    curve=scalar_curve(wd, 'mIoU'),
                    config=s.config,
                    fold=s.fold,
                    seed=s.seed,
                    epoch=epoch,
                    **timing),
                f,
                indent=1)
        os.replace(result + '.tmp', result)

    def run(self, arms: Optional[List[str]] = None) -> None:
        os.makedirs(self.dir, exist_ok=True)
        if not osp.isfile(self.init):
            make_init(self.matrix.warmup.config, self.seed, self.init)
        m = self.matrix
        warm = m.warmup.epochs
        self.probe('random', self.init)
        self.train('warmup', m.warmup.config, warm, start=self.init, resume_from=None)
        self.probe(f'warmup_ep{warm}', self.checkpoint('warmup', warm))
        for arm in arms or list(m.arms):
            spec = m.arms[arm]
            if spec.from_ == 'warmup':
                self.train(
                    arm,
                    spec.config,
                    self.max_epochs,
                    start=None,
                    resume_from=self.checkpoint('warmup', warm))
            else:
                self.train(arm, spec.config, self.max_epochs, start=self.init, resume_from=None)
            for epoch in m.probe_epochs:
                if spec.from_ == 'warmup' and epoch <= warm:
                    continue  # the shared warm-up's probe
                self.probe(f'{arm}_ep{epoch}', self.checkpoint(arm, epoch))
        if m.get('purity'):
            source = m.purity.get('convert_dubai_aerial')
            if source is not None and not osp.isdir(m.purity.img_dir):
                from grass_mm.datasets import convert_dubai_aerial
                convert_dubai_aerial(source, m.purity.data_root)
            for arm in m.purity.arms:
                for epoch in m.purity.epochs:
                    self.purity(arm, epoch)
        if m.get('screen'):
            # The arm whose late checkpoints are screened (trained, not probed), then the screens.
            arm = m.screen.arm
            self.train(
                arm,
                m.screen.config,
                self.max_epochs,
                start=None,
                resume_from=self.checkpoint('warmup', warm))
            for source in m.screen.sources:
                self.screen(source)
        seg = m.get('segmentation')
        if seg and self.seed in seg.pretrain_seeds:
            if not osp.isdir(osp.join(seg.data_root, 'img_dir', 'all')):
                from grass_mm.datasets import convert_dubai_aerial
                convert_dubai_aerial(seg.convert_dubai_aerial, seg.data_root, all_tiles=True)
            for arm in seg.arms:
                self.segment(arm)


def run_paired_seed(matrix: Config,
                    seed: int,
                    repo: str,
                    log: Callable[[str], None] = print) -> Dict[str, str]:
    """Run (or continue) every step of one seed; return the seed's folder."""
    plan = PairedPlan(matrix, seed, repo, log)
    plan.run()
    return dict(seed_dir=plan.dir)
