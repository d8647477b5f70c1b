import torch

from grass_mm.evaluation import (balanced_indices, confusion_matrix, fit_linear_probe, knn_predict,
                                 majority_floor, scores)


def labelled(n=3000, classes=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    # Skewed like aerial labels: class 1 holds most pixels.
    labels = torch.multinomial(
        torch.tensor([0.1, 0.6, 0.1, 0.1, 0.1]), n, replacement=True, generator=gen)
    return labels, gen


def test_features_that_separate_the_classes_score_100():
    labels, gen = labelled()
    feats = torch.nn.functional.one_hot(labels, 5).float() * 3 + 0.3 * torch.randn(
        len(labels), 5, generator=gen)
    feats = torch.cat([feats, torch.randn(len(labels), 11, generator=gen)], 1)  # plus noise dims
    layer = fit_linear_probe(feats[:2000], labels[:2000], 5)
    pred = layer(feats[2000:]).argmax(1)
    s = scores(confusion_matrix(pred, labels[2000:], 5))
    assert s['mIoU'] == 100 and s['aAcc'] == 100 and s['mAcc'] == 100


def test_constant_features_score_chance_and_no_better_than_the_floor():
    labels, _ = labelled()
    feats = torch.ones(len(labels), 8)
    layer = fit_linear_probe(feats, labels, 5)
    pred = layer(feats).argmax(1)
    assert pred.unique().numel() == 1  # one class everywhere
    s = scores(confusion_matrix(pred, labels, 5))
    assert abs(s['mAcc'] - 100 / 5) < 1e-9  # balanced accuracy of one class: chance
    floor = majority_floor(torch.bincount(labels, minlength=5), confusion_matrix(labels, labels, 5))
    assert floor['class'] == 1 and s['mIoU'] <= floor['mIoU'] + 1e-9


def test_probe_is_deterministic_and_ignores_nothing_it_should_not():
    labels, gen = labelled()
    feats = torch.randn(len(labels), 6, generator=gen) + labels[:, None].float()
    a, b = fit_linear_probe(feats, labels, 5), fit_linear_probe(feats, labels, 5)
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    target = labels.clone()
    target[:100] = 255  # ignored pixels count nowhere
    conf = confusion_matrix(a(feats).argmax(1), target, 5)
    assert conf.sum() == len(labels) - 100


def test_scores_and_floor_by_hand():
    conf = torch.tensor([[8, 2, 0], [0, 0, 0], [1, 0, 9]])  # rows: target; class 1 never true
    s = scores(conf)
    # class 1: tp 0, union 2 (predicted twice) -> IoU 0; class 0: 8 / 11; class 2: 9 / 10
    assert abs(s['IoU'][0] - 800 / 11) < 1e-9 and s['IoU'][1] == 0 and s['IoU'][2] == 90
    assert abs(s['aAcc'] - 85) < 1e-9
    floor = majority_floor(torch.tensor([5, 1, 20]), conf)
    assert floor['class'] == 2 and abs(floor['aAcc'] - 50) < 1e-9
    # class 0 IoU 0, class 1 absent from both (NaN, left out), class 2 IoU 10 / 20
    assert abs(floor['mIoU'] - 25) < 1e-9 and torch.isnan(torch.tensor(floor['IoU'][1]))


def test_balanced_indices_cap_each_class_reproducibly():
    labels = torch.tensor([0] * 50 + [1] * 5 + [255] * 10)
    keep = balanced_indices(labels, 10, seed=3)
    assert torch.equal(keep, balanced_indices(labels, 10, seed=3))
    assert (labels[keep] == 0).sum() == 10 and (labels[keep] == 1).sum() == 5
    assert not (labels[keep] == 255).any()


def test_knn_votes_for_the_nearest_class():
    bank = torch.tensor([[1.0, 0], [0.9, 0.1], [0, 1.0], [0.1, 0.9]])
    labels = torch.tensor([0, 0, 1, 1])
    query = torch.tensor([[1.0, 0.05], [0.05, 1.0]])
    assert knn_predict(bank, labels, query, k=2).tolist() == [0, 1]
