import numpy as np
import torch

from grass_mm.evaluation.purity import bootstrap_mean, box_purity, random_boxes_like


def test_box_purity_by_hand():
    labels = torch.zeros(2, 8, 8, dtype=torch.long)
    labels[0, :, 4:] = 1  # left half class 0, right half class 1
    labels[1] = 255
    labels[1, 0, 0] = 3  # one labelled pixel
    boxes = torch.tensor([[0, 0, 4, 8], [0, 0, 8, 8]])
    purity = box_purity(labels, boxes)
    assert purity[0] == 1.0 and purity[1] == 1.0  # ignored pixels do not count
    assert abs(box_purity(labels, torch.tensor([[2, 0, 8, 8], [1, 1, 8, 8]]))[0] - 4 / 6) < 1e-12
    assert torch.isnan(box_purity(labels, torch.tensor([[0, 0, 1, 1], [1, 1, 8, 8]]))[1])
    many = box_purity(labels, torch.tensor([[[0, 0, 4, 8], [0, 0, 8, 8]]] * 2))
    assert many.shape == (2, 2) and many[0, 1] == 0.5


def test_random_boxes_keep_each_size_and_stay_inside():
    boxes = torch.tensor([[10, 20, 40, 30], [0, 0, 64, 64]])
    out = random_boxes_like(boxes, (64, 64), 500, torch.Generator().manual_seed(0))
    assert out.shape == (2, 500, 4)
    assert ((out[..., 2] - out[..., 0]) == torch.tensor([[30], [64]])).all()
    assert ((out[..., 3] - out[..., 1]) == torch.tensor([[10], [64]])).all()
    assert (out[..., :2] >= 0).all() and (out[..., 2] <= 64).all() and (out[..., 3] <= 64).all()
    assert out[0, :, 0].min() == 0 and out[0, :, 0].max() == 34  # every place reachable
    assert (out[1] == torch.tensor([0, 0, 64, 64])).all()


def test_bootstrap_interval_brackets_the_mean_and_shrinks_with_more_views():
    rng = np.random.default_rng(0)
    small = bootstrap_mean(rng.normal(0.1, 1, 50))
    large = bootstrap_mean(rng.normal(0.1, 1, 5000))
    for r in (small, large):
        assert r['ci95'][0] < r['mean'] < r['ci95'][1]
    assert np.diff(large['ci95'])[0] < np.diff(small['ci95'])[0] / 5
    assert 0 < large['ci95'][0]  # a real difference of 0.1 is seen with enough views
    assert bootstrap_mean([1.0, 2.0, 3.0]) == bootstrap_mean([1.0, 2.0, 3.0])
