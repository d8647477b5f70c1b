import pytest
import torch
import torch.nn.functional as F

from grass_mm.models.utils import crop_and_resize, normalize_maps, random_positions, select_regions

BACKENDS = ['numpy', 'torch']


def select(maps, size, backend, **kwargs):
    return select_regions(maps, size, return_found=True, backend=backend, **kwargs)


@pytest.mark.parametrize('backend', BACKENDS)
def test_two_blobs_picks_the_one_holding_the_peak(backend):
    maps = torch.zeros(1, 8, 8)
    maps[0, 1:3, 1:3] = 0.8  # first in raster order, lower
    maps[0, 5:7, 4:7] = 1.0  # later, holds the peak
    boxes, found = select(maps, (8, 8), backend)
    assert boxes.tolist() == [[4, 5, 7, 7]] and found.tolist() == [True]


@pytest.mark.parametrize('backend', BACKENDS)
def test_diagonal_neighbours_are_one_component(backend):
    maps = torch.zeros(1, 6, 6)
    maps[0, 1, 1] = maps[0, 2, 2] = maps[0, 3, 3] = 1.0  # 8-connected, not 4-connected
    boxes, _ = select(maps, (6, 6), backend)
    assert boxes.tolist() == [[1, 1, 4, 4]]


@pytest.mark.parametrize('backend', BACKENDS)
def test_single_pixel_gives_a_one_pixel_box(backend):
    maps = torch.zeros(1, 5, 7)
    maps[0, 3, 2] = 1.0
    boxes, found = select(maps, (5, 7), backend)
    assert boxes.tolist() == [[2, 3, 3, 4]] and found.item()


@pytest.mark.parametrize('backend', BACKENDS)
def test_equal_peaks_pick_the_later_component(backend):
    maps = torch.zeros(1, 6, 6)
    maps[0, 0, 0] = maps[0, 4, 4] = 1.0
    boxes, _ = select(maps, (6, 6), backend)
    assert boxes.tolist() == [[4, 4, 5, 5]]


@pytest.mark.parametrize('backend', BACKENDS)
def test_box_of_an_enclosing_component_holding_the_peak_ties_later(backend):
    # A ring (first in raster order) around a peak pixel that is its own component: both boxes
    # hold the peak, so the later component, the inner pixel, wins.
    maps = torch.zeros(1, 7, 7)
    maps[0, 1, 1:6] = maps[0, 5, 1:6] = maps[0, 1:6, 1] = maps[0, 1:6, 5] = 0.9
    maps[0, 3, 3] = 1.0
    boxes, _ = select(maps, (7, 7), backend)
    assert boxes.tolist() == [[3, 3, 4, 4]]


@pytest.mark.parametrize('backend', BACKENDS)
def test_no_component_or_bad_values_give_the_whole_image(backend):
    maps = torch.zeros(3, 4, 4)
    maps[0] = 1.0  # all equal: nothing above the threshold
    maps[1, 0, 0] = float('nan')
    maps[2, 1, 1] = float('inf')
    boxes, found = select(maps, (10, 12), backend)
    assert boxes.tolist() == [[0, 0, 12, 10]] * 3 and not found.any()


@pytest.mark.parametrize('backend', BACKENDS)
def test_upsampling_maps_boxes_to_image_pixels(backend):
    maps = torch.zeros(1, 4, 4)
    maps[0, 0, 3] = 1.0  # top-right cell of a 4x4 map on a 32x32 image
    boxes, _ = select(maps, (32, 32), backend)
    x1, y1, x2, y2 = boxes[0].tolist()
    assert x2 == 32 and y1 == 0 and 16 <= x1 < 28 and 4 <= y2 <= 16


def test_backends_agree_on_random_maps():
    gen = torch.Generator().manual_seed(0)
    for ratio in (0.2, 0.5, 0.8):
        maps = normalize_maps(torch.rand(24, 7, 7, generator=gen) - 0.3)
        a = select(maps, (56, 40), 'numpy', threshold_ratio=ratio)
        b = select(maps, (56, 40), 'torch', threshold_ratio=ratio)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_normalize_maps_defines_degenerate_cases():
    maps = torch.stack([
        torch.tensor([[1.0, 2.0], [0.5, -1.0]]),  # ordinary: divided by its max (2)
        torch.tensor([[-1.0, -2.0], [-3.0, -4.0]]),  # max < 0: would flip the ordering
        torch.zeros(2, 2),  # max == 0: would divide by zero
        torch.tensor([[1.0, float('inf')], [0.0, 0.0]]),
    ])
    out = normalize_maps(maps)
    assert torch.allclose(out[0], maps[0] / 2)
    assert torch.isnan(out[1:]).all()
    assert select_regions(out, (4, 4)).tolist()[1:] == [[0, 0, 4, 4]] * 3


def test_select_regions_rejects_bad_arguments():
    with pytest.raises(ValueError, match='maps must be'):
        select_regions(torch.zeros(4, 4), (4, 4))
    with pytest.raises(ValueError, match='threshold_ratio'):
        select_regions(torch.zeros(1, 4, 4), (4, 4), threshold_ratio=1.0)


@pytest.mark.parametrize('mode', ['nearest', 'bilinear'])
def test_crop_and_resize_matches_interpolate_per_image(mode):
    gen = torch.Generator().manual_seed(1)
    images = torch.randn(4, 3, 20, 24, generator=gen)
    boxes = torch.tensor([[0, 0, 24, 20], [3, 2, 10, 19], [5, 5, 6, 6], [20, 1, 24, 4]])
    crops = crop_and_resize(images, boxes, mode=mode)
    for image, (x1, y1, x2, y2), crop in zip(images, boxes.tolist(), crops):
        kwargs = {} if mode == 'nearest' else dict(align_corners=False)
        ref = F.interpolate(image[None, :, y1:y2, x1:x2], size=(20, 24), mode=mode, **kwargs)
        assert torch.allclose(ref[0], crop, atol=1e-5)
    assert torch.equal(crops[0], images[0])  # the whole image is left unchanged
    assert torch.allclose(crops[2], images[2, :, 5:6, 5:6].expand(3, 20, 24))  # constant crop


def test_crop_and_resize_rejects_boxes_outside_the_image():
    with pytest.raises(ValueError, match='boxes must lie'):
        crop_and_resize(torch.zeros(1, 1, 4, 4), torch.tensor([[0, 0, 5, 4]]))
    with pytest.raises(ValueError, match="the crop mode. must be one of"):
        crop_and_resize(torch.zeros(1, 1, 4, 4), torch.tensor([[0, 0, 4, 4]]), mode='area')


def blob_maps(corner: str) -> torch.Tensor:
    """Eight 7x7 maps, each with one blob of its own size, all in one corner."""
    maps = torch.zeros(8, 7, 7)
    for i in range(8):
        h, w = 1 + i % 3, 1 + i // 3
        if corner == 'top-left':
            maps[i, :h, :w] = 1.0
        else:
            maps[i, 7 - h:, 7 - w:] = 1.0
    return maps


def test_random_positions_keep_the_batch_box_sizes_and_never_read_the_map():
    size = (112, 112)
    boxes = {c: select_regions(blob_maps(c), size) for c in ('top-left', 'bottom-right')}

    def sizes(b):
        return sorted(zip((b[:, 2] - b[:, 0]).tolist(), (b[:, 3] - b[:, 1]).tolist()))

    assert sizes(boxes['top-left']) == sizes(boxes['bottom-right'])
    assert not torch.equal(boxes['top-left'], boxes['bottom-right'])
    moved = {
        c: random_positions(b, size, generator=torch.Generator().manual_seed(3))
        for c, b in boxes.items()
    }
    # Same sizes from maps with their regions elsewhere: the same random boxes.
    assert torch.equal(moved['top-left'], moved['bottom-right'])
    assert sizes(moved['top-left']) == sizes(boxes['top-left'])
    # Inside the view, and spread over it rather than in the maps' corner.
    gen = torch.Generator().manual_seed(0)
    draws = torch.cat(
        [random_positions(boxes['top-left'], size, generator=gen) for _ in range(200)])
    assert (draws[:, :2] >= 0).all() and (draws[:, 2] <= 112).all() and (draws[:, 3] <= 112).all()
    free = 112 - (draws[:, 2:] - draws[:, :2])  # room left for the box, per axis
    rel = draws[:, :2].float() / free.float()
    assert 0.45 < rel.mean().item() < 0.55  # uniform placement: mean 0.5


def test_random_positions_move_found_with_the_sizes():
    boxes = torch.tensor([[0, 0, 64, 64], [10, 10, 20, 30]])
    found = torch.tensor([False, True])
    for seed in range(5):
        out, moved = random_positions(
            boxes, (64, 64), found, generator=torch.Generator().manual_seed(seed))
        whole = (out[:, 2] - out[:, 0] == 64) & (out[:, 3] - out[:, 1] == 64)
        assert torch.equal(whole, ~moved)  # the whole view stays "no region"
        assert torch.equal(out[whole], torch.tensor([[0, 0, 64, 64]]))
