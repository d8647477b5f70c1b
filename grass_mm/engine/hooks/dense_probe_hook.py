"""The online dense probe: held-out segmentation read-outs of the backbone during pretraining."""
import os.path as osp
import random
import time
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import barrier, is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.registry import HOOKS
from mmpretrain.utils import get_ori_model

from grass_mm.evaluation.probe import DenseProbe, load_split, normalise_with


@HOOKS.register_module()
class DenseProbeHook(Hook):
    """Probe the backbone's frozen features on held-out labels while it pretrains.

    At the start (the random-init point of the curve, or the resumed state) and every
    ``interval`` epochs (or iterations), the backbone as it is goes through the read-outs of
    :class:`~grass_mm.evaluation.probe.DenseProbe`: a linear classifier on stage
    features and a k-NN vote fitted on ``train_split``, scored on ``test_split``. The scalars
    ``probe/linear_mIoU``, ``probe/linear_aAcc``, ``probe/knn_mAcc`` (and ``probe/floor_mIoU``,
    ``probe/floor_aAcc`` once) go to the logger and every visualizer backend;
    ``probe_curve.png`` is drawn in the work dir at the end. A state is probed before the
    next epoch (iteration) starts, where mmengine would validate, so ``CheckpointHook(save_best=
    'probe/linear_mIoU', rule='greater')`` keeps the best checkpoint by the probe.

    It leaves training as it was: eval mode and no gradient while probing, train mode restored
    after, and the global torch, numpy and Python RNGs restored (the probe's draws use their
    own generators), so losses are bit-identical with and without it. Under DDP rank 0 probes
    and the others wait.

    Args:
        train_split (dict): The split the read-outs are fitted on: an mmseg dataset config, or
            ``dict(type='DubaiAerialTiles', data_root=..., tiles=[1, 2, 3, 4, 5, 6])``.
        test_split (dict): The held-out split they are scored on (same form, same classes).
        interval (int): Probe every ``interval`` epochs (``by_epoch``) or iterations.
        by_epoch (bool): Count ``interval`` in epochs. Defaults to True.
        scale (float): One resize factor for both splits. Defaults to 0.25.
        max_images (int, optional): Read at most this many images per split.
        stages (Sequence[int]): ResNet stages of the linear read-out. Defaults to (4, ).
        pixels_per_class (int): Linear-probe training pixels per class. Defaults to 1000.
        patch (int): k-NN window side at ``scale``. Defaults to 16.
        min_purity (float): Share of a k-NN window its class covers. Defaults to 0.6.
        k (int): k-NN neighbours. Defaults to 20.
        max_windows (int): k-NN windows per split (a seeded draw). Defaults to 500.
        seed (int): Seed of the probe's own draws. Defaults to 0.
    """

    priority = 'LOW'
    KEYS = ('linear_mIoU', 'linear_aAcc', 'knn_mAcc')

    def __init__(self,
                 train_split: dict,
                 test_split: dict,
                 interval: int = 10,
                 by_epoch: bool = True,
                 scale: float = 0.25,
                 max_images: Optional[int] = None,
                 stages: Sequence[int] = (4, ),
                 pixels_per_class: int = 1000,
                 patch: int = 16,
                 min_purity: float = 0.6,
                 k: int = 20,
                 max_windows: int = 500,
                 seed: int = 0) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'DenseProbeHook: interval must be an int >= 1, got {interval!r}')
        for name, split in (('train_split', train_split), ('test_split', test_split)):
            if not isinstance(split, dict) or 'type' not in split:
                raise TypeError(f'DenseProbeHook: {name} must be a dataset config dict with a '
                                f"'type', got {split!r}")
        self.splits = (train_split, test_split)
        self.interval, self.by_epoch = interval, by_epoch
        self.scale, self.max_images = scale, max_images
        self.probe_args = dict(
            stages=tuple(stages),
            pixels_per_class=pixels_per_class,
            patch=patch,
            min_purity=min_purity,
            k=k,
            max_windows=max_windows,
            seed=seed)
        self.curve: Dict[int, Dict[str, float]] = {}
        self.probe: Optional[DenseProbe] = None

    def build_probe(self) -> DenseProbe:
        """The probe of this hook's splits and settings (its splits read now)."""
        train, test = (load_split(s, self.scale, self.max_images) for s in self.splits)
        return DenseProbe.held_out(train, test, **self.probe_args)

    def before_train(self, runner) -> None:
        if is_main_process():
            start = time.time()
            self.probe = self.build_probe()
            floor = self.probe.floor()
            self.floor = dict(mIoU=floor['mIoU'], aAcc=floor['aAcc'])
            self.seconds = 0.0
            (train, train_windows), (test, test_windows) = (
                self.probe.count(g) for g in ('train', 'test'))
            runner.logger.info(
                f'DenseProbeHook: {train} training and {test} held-out images, {train_windows} '
                f'and {test_windows} k-NN windows ({time.time() - start:.1f} s); '
                f"floor mIoU {self.floor['mIoU']:.2f}, aAcc {self.floor['aAcc']:.2f}")
        self._maybe_probe(runner, runner.epoch if self.by_epoch else runner.iter)

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch and runner.epoch > 0:
            self._maybe_probe(runner, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.by_epoch and runner.iter > 0:
            self._maybe_probe(runner, runner.iter)

    def after_train(self, runner) -> None:
        step = runner.epoch if self.by_epoch else runner.iter
        if step not in self.curve:
            self._probe(runner, step)
        if is_main_process() and self.curve:
            self._plot(runner)
            runner.logger.info(f'DenseProbeHook: {len(self.curve)} probes took '
                               f'{self.seconds:.1f} s')

    def _maybe_probe(self, runner, step: int) -> None:
        if step % self.interval == 0 and step not in self.curve:
            self._probe(runner, step)

    def _probe(self, runner, step: int) -> None:
        self.curve[step] = {}
        if is_main_process():
            start = time.time()
            scores = self.evaluate(runner)
            self.seconds += time.time() - start
            self.curve[step] = scores
            logged = {f'probe/{k}': v for k, v in scores.items()}
            if len(self.curve) == 1:
                logged.update({f'probe/floor_{k}': v for k, v in self.floor.items()})
            for key, value in logged.items():
                runner.message_hub.update_scalar(key, value)
            runner.visualizer.add_scalars(
                dict(logged, **{'probe/seconds': time.time() - start}), step=runner.iter)
            runner.logger.info(
                f"probe at {'epoch' if self.by_epoch else 'iter'} {step}: linear mIoU "
                f"{scores['linear_mIoU']:.2f}, aAcc {scores['linear_aAcc']:.2f}, k-NN mAcc "
                f"{scores['knn_mAcc']:.2f} ({time.time() - start:.1f} s)")
            if step > 0:
                self._save_best(runner, logged)
        barrier()  # the other ranks wait for rank 0's probe

    def evaluate(self, runner) -> Dict[str, float]:
        """The read-outs of the current backbone, leaving the model and the RNGs as they were."""
        model = get_ori_model(runner.model)
        backbone, was_training = model.backbone, model.backbone.training
        states = random.getstate(), np.random.get_state()
        with torch.random.fork_rng(devices=[]):
            backbone.eval()
            try:
                return self.probe.evaluate(backbone, normalise_with(model.data_preprocessor))
            finally:
                backbone.train(was_training)
                random.setstate(states[0])
                np.random.set_state(states[1])

    @staticmethod
    def _save_best(runner, metrics: Dict[str, float]) -> None:
        """Let every ``CheckpointHook(save_best=...)`` see the probe as a validation result."""
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and hook.save_best is not None:
                hook._save_best_checkpoint(runner, metrics)

    def _plot(self, runner) -> None:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        steps = sorted(self.curve)
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for key in self.KEYS:
            ax.plot(steps, [self.curve[s][key] for s in steps], marker='o', label=key)
        ax.axhline(self.floor['mIoU'], color='grey', ls='--', label='floor mIoU')
        ax.set_xlabel('epoch' if self.by_epoch else 'iteration')
        ax.set_ylabel('%')
        ax.set_title('held-out dense probe')
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(osp.join(runner.work_dir, 'probe_curve.png'), dpi=100)
        plt.close(fig)
