"""predict_scene.py's window arithmetic: every pixel covered, weights never zero, and stitching
that reproduces a per-pixel model exactly (no seams, no shifted rows) on any window layout."""
import numpy as np
import pytest

from grass_mm.apis import predict_windows, tent
from grass_mm.datasets import write_synthetic_scene
from grass_mm.datasets.windows import window_starts
from tests.helpers import needs_rasterio

rasterio = needs_rasterio()


class PerPixel:
    """A stand-in model whose logits at a pixel depend on that pixel's bands only: any correct
    stitching gives the whole-scene answer."""
    fill = np.zeros(4, np.float32)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        x = windows.transpose(0, 3, 1, 2)  # [B, 4, h, w]
        return np.stack([x[:, 0], x[:, 1], x[:, 3], 0.5 * (x[:, 0] + x[:, 2])], axis=1)


@pytest.mark.parametrize('length,window,stride', [(1000, 512, 384), (512, 512, 384), (90, 128, 96)])
def test_windows_cover_every_pixel(length, window, stride):
    starts = window_starts(length, window, stride)
    covered = np.zeros(length, bool)
    for s in starts:
        covered[s:s + min(window, length)] = True
    assert covered.all() and starts[-1] + min(window, length) == length
    weights = tent(min(window, length), window - stride)
    assert weights.min() > 0 and weights.max() == 1


@pytest.mark.parametrize('window,overlap,batch', [(64, 16, 3), (50, 0, 1), (256, 32, 2)])
def test_stitching_equals_the_whole_scene_answer(window, overlap, batch, tmp_path):
    scene, out = str(tmp_path / 'scene.tif'), str(tmp_path / 'out.tif')
    write_synthetic_scene(scene, np.random.default_rng(0), 150, 4)
    with rasterio.open(scene) as src:
        data = src.read().transpose(1, 2, 0).astype(np.float32)
        valid = (src.read_masks() > 0).all(axis=0)
        profile = dict(driver='GTiff', width=150, height=150, count=1, dtype='uint8', nodata=255)
        with rasterio.open(out, 'w', **profile) as dst:
            preview = predict_windows(PerPixel(), src, [0, 1, 2, 3], dst, window, overlap, batch)
    expected = PerPixel()(data[None])[0].argmax(0).astype(np.uint8)
    expected[~valid] = 255
    with rasterio.open(out) as result:
        assert np.array_equal(result.read(1), expected)
    assert np.array_equal(preview, expected)  # 150 px: the preview is full size
