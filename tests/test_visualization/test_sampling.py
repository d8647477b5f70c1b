import numpy as np
import torch

from grass_mm.models.utils import region_mask, select_regions
from grass_mm.visualization import denormalize, render_sampling


def test_denormalize_inverts_the_preprocessor():
    mean, std = torch.tensor([123.675, 116.28, 103.53]), torch.tensor([58.395, 57.12, 57.375])
    pixels = torch.randint(0, 256, (2, 3, 8, 8)).float()
    normalised = (pixels - mean[:, None, None]) / std[:, None, None]
    out = denormalize(normalised, mean[:, None, None], std[:, None, None])
    assert out.shape == (2, 8, 8, 3) and out.dtype == np.uint8
    assert np.array_equal(out, pixels.permute(0, 2, 3, 1).byte().numpy())


def test_panels_show_the_box_the_map_and_the_crop():
    views = np.full((2, 32, 32, 3), 100, np.uint8)
    crops = np.random.default_rng(0).integers(0, 255, (2, 32, 32, 3), dtype=np.uint8)
    maps = torch.zeros(2, 4, 4)
    maps[0, 0, 0] = 1.0  # peak top-left
    maps[1] = torch.nan  # degenerate: the whole view
    boxes = torch.tensor([[0, 0, 10, 12], [0, 0, 32, 32]])
    grid = render_sampling(views, maps, boxes, crops)
    assert grid.shape == (2 * 32 + 2, 3 * 32 + 4, 3)
    row0, row1 = grid[:32], grid[34:]
    assert np.array_equal(row0[:, 68:], crops[0]) and np.array_equal(row1[:, 68:], crops[1])
    assert tuple(row0[11, 5]) == (255, 255, 0)  # bottom edge of the box, in the view panel
    assert tuple(row0[20, 20]) == (100, 100, 100)  # outside the box: the view untouched
    heat = row0[:, 34:66]
    assert not np.array_equal(heat, views[0])  # heat-map overlay
    assert (heat == 255).all(axis=2).any()  # the white threshold contour
    assert not (row1[:, 34:66] == 255).all(axis=2).any()  # no contour for a NaN map


def test_the_contour_is_the_samplers_own_mask_at_exactly_the_threshold():
    """Values exactly at ``min + ratio * (max - min)`` are outside the region (strictly
    greater): in the sampler's mask, its chosen box, and the picture's contour alike."""
    maps = torch.zeros(1, 16, 16)
    maps[0, 2:6, 2:6] = 0.5  # exactly the threshold at ratio 0.5: outside
    maps[0, 10:14, 10:14] = 1.0  # the region
    up, mask = region_mask(maps, (16, 16), 0.5)
    assert torch.equal(up, maps)  # same size: the upsampling is the identity
    assert mask[0, 10:14, 10:14].all() and mask.sum() == 16
    boxes = select_regions(maps, (16, 16), 0.5)
    assert boxes.tolist() == [[10, 10, 14, 14]]
    views = np.zeros((1, 16, 16, 3), np.uint8)  # black: only the contour can be pure white
    # The box drawn is the whole view, so it does not hide the contour (it is drawn over it).
    grid = render_sampling(views, maps, torch.tensor([[0, 0, 16, 16]]), views, 0.5)
    white = (grid[:, 18:34] == 255).all(axis=2)
    assert white[10:14, 10:14].any() and not white[1:8, 1:8].any()
