import inspect
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmpretrain.utils import get_ori_model

from grass_mm.datasets import dominant_class_patches
from grass_mm.evaluation import knn_predict, pooled_embeddings


@HOOKS.register_module()
class KNNProbeHook(Hook):
    """Online k-NN probe of the backbone on a small labelled patch set (as solo-learn does).

    Before training and every ``interval`` epochs (or iterations) it embeds labelled patches with
    the backbone (global average pool of the last stage, eval mode, no gradient), classifies each
    query patch by a weighted vote of its ``k`` nearest bank patches (cosine similarity, weights
    ``exp(s / temperature)``, as in InstDisc and solo-learn), and logs top-1 and mean per-class
    accuracy as ``knn_probe/top1`` and ``knn_probe/mean_class_acc`` to the logger and the
    visualizer backends. A rising curve says pretraining is learning something the segmentation
    classes care about, before the expensive downstream run.

    The patches come from :func:`~grass_mm.datasets.dominant_class_patches` on an mmseg-layout
    folder (e.g. the converted Dubai training tiles); images with an even index form the bank,
    odd ones the queries, so no image gives patches to both.

    Args:
        data_root (str): mmseg-layout folder.
        img_dir (str): Images, relative to ``data_root``. Defaults to ``'img_dir/train'``.
        ann_dir (str): Label maps, relative to ``data_root``. Defaults to ``'ann_dir/train'``.
        interval (int): Probe every ``interval`` epochs (``by_epoch``) or iterations.
        by_epoch (bool): Count ``interval`` in epochs. Defaults to True.
        k (int): Neighbours. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        batch_size (int): Patches per backbone forward. Defaults to 64.
        patch_kwargs: Passed to :func:`dominant_class_patches` (``patch_size``, ``input_size``,
            ``min_purity``, ``resize``, ``max_patches``, ...).
    """

    priority = 'LOW'

    def __init__(self,
                 data_root: str,
                 img_dir: str = 'img_dir/train',
                 ann_dir: str = 'ann_dir/train',
                 interval: int = 1,
                 by_epoch: bool = True,
                 k: int = 20,
                 temperature: float = 0.07,
                 batch_size: int = 64,
                 **patch_kwargs) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'KNNProbeHook: interval must be an int >= 1, got {interval!r}')
        if not isinstance(k, int) or k < 1:
            raise ValueError(f'KNNProbeHook: k must be an int >= 1, got {k!r}')
        known = list(inspect.signature(dominant_class_patches).parameters)[2:]
        unknown = sorted(set(patch_kwargs) - set(known))
        if unknown:
            raise TypeError(f'KNNProbeHook: unknown argument(s) {unknown}; the patch set takes '
                            f'{known}')
        self.img_dir, self.ann_dir = osp.join(data_root, img_dir), osp.join(data_root, ann_dir)
        self.interval, self.by_epoch = interval, by_epoch
        self.k, self.temperature, self.batch_size = k, temperature, batch_size
        self.patch_kwargs = patch_kwargs

    def before_train(self, runner) -> None:
        self.load_patches(get_ori_model(runner.model).data_preprocessor)
        runner.logger.info(f'KNNProbeHook: {int(self.bank.sum())} bank and '
                           f'{int((~self.bank).sum())} query patches from {self.img_dir}')
        self._probe(runner)  # the starting point of the curve

    def load_patches(self, preprocessor: torch.nn.Module) -> None:
        """Cut the patch set and normalise it as ``preprocessor`` (mean, std, to_rgb) does."""
        patches, labels, owners = dominant_class_patches(self.img_dir, self.ann_dir,
                                                         **self.patch_kwargs)
        bank = owners % 2 == 0
        if bank.all() or not bank.any():
            raise ValueError(f'KNNProbeHook: {self.img_dir} needs patches from at least two '
                             'images (even-indexed ones form the bank, odd ones the queries)')
        images = torch.from_numpy(patches).permute(0, 3, 1, 2).float()
        if getattr(preprocessor, '_channel_conversion', False):
            images = images.flip(1)  # BGR files → the RGB order the model trains on
        self.images = (images - preprocessor.mean.cpu()) / preprocessor.std.cpu()
        self.labels, self.bank = torch.from_numpy(labels), torch.from_numpy(bank)

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and (self.every_n_epochs(runner, self.interval)
                              or self.is_last_train_epoch(runner)):
            self._probe(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        if not self.by_epoch and (self.every_n_train_iters(runner, self.interval)
                                  or self.is_last_train_iter(runner)):
            self._probe(runner)

    def _probe(self, runner) -> None:
        scores = self.evaluate(get_ori_model(runner.model).backbone)
        for name, value in scores.items():
            runner.message_hub.update_scalar(f'knn_probe/{name}', value)
        runner.visualizer.add_scalars({
            f'knn_probe/{k}': v
            for k, v in scores.items()
        },
                                      step=runner.iter)
        runner.logger.info(f'k-NN probe (k={self.k}) at iter {runner.iter}: '
                           f"top-1 {scores['top1']:.2f}, mean class acc "
                           f"{scores['mean_class_acc']:.2f}")

    @torch.no_grad()
    def evaluate(self, backbone: torch.nn.Module) -> Dict[str, float]:
        """k-NN accuracies (%) of ``backbone``'s pooled features on the patch set."""
        was_training = backbone.training
        backbone.eval()
        feats = pooled_embeddings(backbone, self.images, self.batch_size)
        backbone.train(was_training)
        query_labels = self.labels[~self.bank]
        pred = knn_predict(
            feats[self.bank],
            self.labels[self.bank],
            feats[~self.bank],
            self.k,
            self.temperature,
            num_classes=int(self.labels.max()) + 1)
        correct = pred == query_labels
        per_class = [correct[query_labels == c].float().mean() for c in query_labels.unique()]
        return dict(
            top1=100 * correct.float().mean().item(),
            mean_class_acc=100 * torch.stack(per_class).mean().item())
