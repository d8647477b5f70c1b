"""Oracle samplers: place and single against brute force, the size-matched control, GraSS wiring."""
import itertools

import pytest
import torch
from mmpretrain.structures import DataSample

from grass_mm.evaluation.purity import box_purity, random_boxes_like
from grass_mm.models.utils import (PlaceOracleSampler, SingleOracleSampler, SingleSizeRandomSampler,
                                   select_regions)
from grass_mm.models.utils.oracle import candidate_sizes, class_integrals, window_purity
from tests.test_models.test_selfsup.test_grass import build, views


def blobs(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """``[n, size, size]`` label maps of a few rectangles of 4 classes on a background class, with
    some unlabelled (255) pixels: real maps' mix of pure and mixed regions, small enough for
    brute force."""
    gen = torch.Generator().manual_seed(seed)
    out = torch.zeros(n, size, size, dtype=torch.long)
    for i in range(n):
        for _ in range(6):
            x, y = torch.randint(0, size - 2, (2, ), generator=gen).tolist()
            w, h = torch.randint(2, size // 2, (2, ), generator=gen).tolist()
            out[i, y:y + h, x:x + w] = int(torch.randint(1, 5, (1, ), generator=gen))
        out[i][torch.rand(size, size, generator=gen) < 0.03] = 255
    return out


def brute_best(label: torch.Tensor, w: int, h: int) -> float:
    """The purest placement of a w x h box, by trying every position."""
    height, width = label.shape
    boxes = torch.tensor([[x, y, x + w, y + h] for y in range(height - h + 1)
                          for x in range(width - w + 1)])
    return float(torch.nan_to_num(box_purity(label[None], boxes[None])[0], nan=-1).max())


def gs_like_boxes(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """Boxes as the GS sampler makes them (from random maps)."""
    maps = torch.rand(n, 4, 4, generator=torch.Generator().manual_seed(seed))
    return select_regions(maps, (size, size))


def test_window_purity_matches_box_purity_everywhere():
    label = blobs(1, 12)[0]
    integrals = class_integrals(label)
    for w, h in [(1, 1), (3, 5), (12, 12), (7, 2)]:
        got = window_purity(integrals, w, h)
        for y, x in itertools.product(range(12 - h + 1), range(12 - w + 1)):
            want = box_purity(label[None], torch.tensor([[x, y, x + w, y + h]]))[0]
            assert torch.allclose(got[y, x].double(), want, equal_nan=True)
    assert class_integrals(torch.full((4, 4), 255)) is None


def test_place_is_at_least_as_pure_as_gs_and_random_boxes_of_the_same_size():
    labels = blobs(16, 24)
    gs = gs_like_boxes(16, 24)
    torch.manual_seed(0)
    placed = PlaceOracleSampler().label_boxes(gs, labels)
    assert torch.equal(placed[:, 2:] - placed[:, :2], gs[:, 2:] - gs[:, :2])  # sizes kept
    ours = box_purity(labels, placed)
    assert (ours >= box_purity(labels, gs) - 1e-9).all()
    rand = box_purity(labels, random_boxes_like(gs, (24, 24), 16)).nan_to_num(-1)
    assert (ours[:, None] >= rand - 1e-9).all()
    for i in range(16):  # the best placement there is
        w, h = (gs[i, 2:] - gs[i, :2]).tolist()
        assert ours[i].item() == pytest.approx(brute_best(labels[i], w, h))


SINGLE_CASES = [(0, 0.125, False), (1, 0.125, False), (2, 0.125, False), (3, 0.5, True)]


@pytest.mark.parametrize('seed, min_size, noise', SINGLE_CASES)
def test_single_reaches_the_purity_wherever_a_box_of_that_purity_exists(seed, min_size, noise):
    labels = blobs(12, 16, seed)
    if noise:  # salt-and-pepper labels: no box of half the view can be 0.9 pure
        labels[6:] = torch.randint(0, 4, (6, 16, 16), generator=torch.Generator().manual_seed(0))
    gs = gs_like_boxes(12, 16, seed)
    sampler = SingleOracleSampler(purity=0.9, shrink=0.8, min_size=min_size)
    boxes = sampler.label_boxes(gs, labels)
    got = box_purity(labels, boxes)
    branches = set()
    for i in range(12):
        aspect = float(gs[i, 2] - gs[i, 0]) / float(gs[i, 3] - gs[i, 1])
        sizes = candidate_sizes(aspect, (16, 16), 0.8, min_size * 16)
        best = [brute_best(labels[i], w, h) for w, h in sizes]
        reach = [k for k, b in enumerate(best) if b >= 0.9]
        w, h = (boxes[i, 2:] - boxes[i, :2]).tolist()
        branches.add(bool(reach))
        if reach:  # the largest size that can be 0.9 pure, at a place where it is
            assert (w, h) == sizes[reach[0]] and got[i] >= 0.9
        else:  # none can: the smallest size at its purest place
            assert (w, h) == sizes[-1] and got[i].item() == pytest.approx(best[-1])
    assert branches == ({True, False} if noise else {True})


def test_candidate_sizes_keep_the_aspect_ratio_and_stop_at_the_smallest_side():
    sizes = candidate_sizes(2.0, (128, 128), 0.9, 16)
    assert sizes[0] == (128, 64) and min(sizes[-1]) >= 16
    assert all(abs(w / h - 2.0) < 0.15 for w, h in sizes)
    assert all(a[0] * a[1] > b[0] * b[1] for a, b in zip(sizes, sizes[1:]))


def test_the_size_matched_control_has_the_single_oracles_sizes_at_random_places():
    labels = blobs(16, 24)
    gs = gs_like_boxes(16, 24)
    torch.manual_seed(0)
    single = SingleOracleSampler().label_boxes(gs, labels)
    torch.manual_seed(0)
    control = SingleSizeRandomSampler().label_boxes(gs, labels)

    def sizes(b):
        return sorted(map(tuple, (b[:, 2:] - b[:, :2]).tolist()))

    assert sizes(control) == sizes(single)
    assert box_purity(labels, control).mean() < box_purity(labels, single).mean()


def test_a_view_without_labels_keeps_its_gs_size_at_a_random_place():
    labels = blobs(4, 24)
    labels[1] = 255
    gs = gs_like_boxes(4, 24)
    for sampler in (PlaceOracleSampler(), SingleOracleSampler()):
        boxes = sampler.label_boxes(gs, labels)
        assert torch.equal(boxes[1, 2:] - boxes[1, :2], gs[1, 2:] - gs[1, :2])


def test_bad_settings_and_missing_labels_are_named():
    with pytest.raises(ValueError, match='purity must be in'):
        SingleOracleSampler(purity=1.5)
    with pytest.raises(ValueError, match='shrink must be in'):
        SingleOracleSampler(shrink=1.0)
    model = build(stage='gs', sampler=dict(type='PlaceOracleSampler'))
    with pytest.raises(ValueError, match='no view_labels.*LoadViewLabel'):
        model.loss(views(), [DataSample() for _ in range(4)])
    flat = torch.stack(views(), 1).flatten(0, 1)
    with pytest.raises(ValueError, match=r'expected view_labels of shape \(8, 64, 64\)'):
        model.sample(flat, torch.zeros(8, 32, 32, dtype=torch.uint8))


@pytest.mark.parametrize('sampler', ['PlaceOracleSampler', 'SingleOracleSampler'])
def test_a_gs_step_with_an_oracle_trains_on_its_label_boxes(sampler):
    model = build(stage='gs', sampler=dict(type=sampler))
    assert model.reads_labels and not build(stage='gs').reads_labels
    labels = blobs(8, 64).to(torch.uint8)
    labels[6:] = 255  # the last sample's two views have no labels
    samples = []
    for i in range(4):
        sample = DataSample()
        sample.set_field(labels[2 * i:2 * i + 2], 'view_labels')
        samples.append(sample)
    flat = torch.stack(views(), 1).flatten(0, 1)
    torch.manual_seed(0)
    sampled = model.sample(flat, labels)
    gs = model.box_sampler.boxes(sampled.maps, (64, 64))[0]
    purity = box_purity(labels[:6].long(), sampled.boxes[:6])
    if sampler == 'PlaceOracleSampler':  # GS's sizes, purer places
        assert (purity >= box_purity(labels[:6].long(), gs[:6]) - 1e-9).all()
    else:  # boxes that reach 0.9 where the labelled views allow it
        assert (purity >= 0.9).float().mean() > 0.5
    losses = model.loss(views(), samples)
    assert torch.isfinite(losses['loss']) and losses['unlabelled'].item() == pytest.approx(0.25)
