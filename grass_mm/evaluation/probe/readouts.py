"""Read-outs of frozen features: a per-pixel linear probe, a k-NN vote, scores and the floor.

Small pure functions on tensors: :class:`~grass_mm.evaluation.probe.DenseProbe` applies them, and
the tests can feed them features whose answer is known.
"""
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def balanced_indices(labels: Tensor,
                     per_class: int,
                     seed: int = 0,
                     ignore_index: int = 255) -> Tensor:
    """Up to ``per_class`` indices of each class in ``labels`` ``[N]``, drawn from ``seed``.

    Returns:
        LongTensor of indices, sorted (the draw is reproducible for a seed).
    """
    gen = torch.Generator().manual_seed(seed)
    keep = []
    for c in labels.unique().tolist():
        if c == ignore_index:
            continue
        where = torch.nonzero(labels == c).flatten()
        if len(where) > per_class:
            where = where[torch.randperm(len(where), generator=gen)[:per_class]]
        keep.append(where)
    return torch.cat(keep).sort().values if keep else labels.new_zeros(0)


def fit_linear_probe(feats: Tensor,
                     labels: Tensor,
                     num_classes: int,
                     weight_decay: float = 1e-4,
                     max_iter: int = 300) -> torch.nn.Linear:
    """Train a linear classifier on standardised features to convergence (full-batch L-BFGS).

    Deterministic: zero initialisation, no sampling. Classes are weighted by inverse frequency,
    so a class-balanced pixel set and an unbalanced one train the same classifier in
    expectation. The standardisation (the training features' mean and std) is folded into the
    returned layer, which applies to raw features.

    Args:
        feats: ``[N, C]`` features.
        labels: ``[N]`` class indices in ``[0, num_classes)``.
        num_classes: Number of classes.
        weight_decay: L2 penalty on the weights (of the standardised features).
        max_iter: L-BFGS iterations (it stops earlier once converged).

    Returns:
        ``nn.Linear(C, num_classes)`` on raw features.
    """
    feats = feats.float()
    mean, std = feats.mean(0), feats.std(0).clamp_min(1e-6)
    x = (feats - mean) / std  # [N, C]
    counts = torch.bincount(labels, minlength=num_classes).float()
    weight = torch.where(counts > 0, counts.sum() / (num_classes * counts.clamp_min(1)), 0.0)
    layer = torch.nn.Linear(x.size(1), num_classes)
    torch.nn.init.zeros_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.LBFGS(
        layer.parameters(),
        lr=1,
        max_iter=max_iter,
        tolerance_grad=1e-6,
        tolerance_change=1e-9,
        history_size=20,
        line_search_fn='strong_wolfe')

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(layer(x), labels, weight=weight)
        loss = loss + weight_decay * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    # Fold the standardisation in: W (x - m) / s + b = (W / s) x + (b - W m / s).
    raw = torch.nn.Linear(x.size(1), num_classes)
    with torch.no_grad():
        raw.weight.copy_(layer.weight / std)
        raw.bias.copy_(layer.bias - (layer.weight / std) @ mean)
    return raw.requires_grad_(False)


def confusion_matrix(pred: Tensor,
                     target: Tensor,
                     num_classes: int,
                     ignore_index: int = 255) -> Tensor:
    """``[num_classes, num_classes]`` counts (rows: target, columns: prediction)."""
    valid = target != ignore_index
    index = target[valid].long() * num_classes + pred[valid].long()
    return torch.bincount(index, minlength=num_classes**2).view(num_classes, num_classes)


def scores(confusion: Tensor) -> Dict[str, object]:
    """mIoU, aAcc, mean class accuracy (%) and per-class IoU from a confusion matrix.

    As mmseg's ``IoUMetric``: a class absent from both target and prediction has IoU NaN and
    is left out of the mean.
    """
    conf = confusion.double()
    tp = conf.diag()
    union = conf.sum(0) + conf.sum(1) - tp
    iou = torch.where(union > 0, tp / union.clamp_min(1), torch.nan)
    support = conf.sum(1)
    acc = torch.where(support > 0, tp / support.clamp_min(1), torch.nan)
    return dict(
        mIoU=100 * float(np.nanmean(iou.numpy())),
        aAcc=100 * float(tp.sum() / conf.sum().clamp_min(1)),
        mAcc=100 * float(np.nanmean(acc.numpy())),
        IoU=[100 * float(v) for v in iou])


def majority_floor(train_counts: Tensor, test_confusion: Tensor) -> Dict[str, object]:
    """Scores of predicting the training set's majority class at every test pixel.

    Args:
        train_counts: ``[num_classes]`` labelled training pixels per class.
        test_confusion: Any ``[num_classes, num_classes]`` confusion matrix of the test pixels
            (only its row sums, the test pixels per class, are used).

    Returns:
        :func:`scores` of the majority predictor, plus ``class`` (its index).
    """
    majority = int(train_counts.argmax())
    conf = torch.zeros_like(test_confusion)
    conf[:, majority] = test_confusion.sum(1)
    return dict(scores(conf), **{'class': majority})


def knn_predict(bank: Tensor,
                bank_labels: Tensor,
                query: Tensor,
                k: int = 20,
                temperature: float = 0.07,
                num_classes: Optional[int] = None) -> Tensor:
    """Weighted k-NN vote (cosine similarity, weights ``exp(s / T)``, as InstDisc/solo-learn).

    Args:
        bank: ``[M, C]`` bank features; query: ``[Q, C]`` query features (normalised here).
        bank_labels: ``[M]`` labels of the bank.
        k: Neighbours. temperature: Vote temperature.
        num_classes: Number of classes (default: from ``bank_labels``).

    Returns:
        ``[Q]`` predicted labels.
    """
    bank, query = F.normalize(bank.float(), dim=1), F.normalize(query.float(), dim=1)
    num_classes = num_classes or int(bank_labels.max()) + 1
    sim, idx = (query @ bank.T).topk(min(k, len(bank)), dim=1)
    votes = torch.zeros(len(query), num_classes).scatter_add_(1, bank_labels[idx],
                                                              (sim / temperature).exp())
    return votes.argmax(dim=1)
