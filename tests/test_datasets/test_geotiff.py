"""GeoTIFF in: windowed reads, nodata, patches that keep their georeference, band statistics,
RGB-only augmentations, and RGB weights into an N-band stem."""
import numpy as np
import pytest
import torch
from mmpretrain.models import ResNet

from grass_mm.datasets import (LoadGeoTIFF, LoadGeoTIFFAnnotation, RGBOnly, band_statistics,
                               cut_geotiff_patches, read_window, write_synthetic_scene)
from grass_mm.models.utils import MultiBandDataPreprocessor, PretrainedBandsInit, adapt_band_weight
from tests.helpers import needs_rasterio

rasterio = needs_rasterio()


@pytest.fixture
def scene(tmp_path):
    img, ann = str(tmp_path / 'scene.tif'), str(tmp_path / 'label.tif')
    write_synthetic_scene(img, np.random.default_rng(0), 96, bands=13, ann_path=ann)
    return img, ann


def test_windowed_read_with_band_selection_equals_a_slice_of_the_whole(scene):
    whole, masks = read_window(scene[0])  # masks: where each band holds data
    assert whole.shape == (96, 96, 13) and whole.dtype == np.uint16 and masks.shape == whole.shape
    valid = masks.any(-1)
    assert not valid[:, :6].any() and valid[:, 6:].all()  # the nodata strip (96 // 16 px)
    part, part_masks = read_window(scene[0], (10, 20, 30, 40), bands=[12, 0])
    assert np.array_equal(part, whole[20:60, 10:40][..., [12, 0]])
    assert np.array_equal(part_masks, masks[20:60, 10:40][..., [12, 0]])
    with pytest.raises(ValueError, match=r'scene.tif: bands=\[13\] must be 0-based indices below'):
        read_window(scene[0], bands=[13])


def test_load_transforms_read_one_window_and_ignore_nodata_labels(scene):
    np.random.seed(0)
    results = LoadGeoTIFF(
        crop_size=48, bands=[0, 1, 2, 7])(
            dict(img_path=scene[0], seg_map_path=scene[1]))
    results = LoadGeoTIFFAnnotation()(results)
    x, y, w, h = results['geotiff_window']
    assert (w, h) == (48, 48) and results['img'].shape == (48, 48, 4)
    assert results['img'].dtype == np.float32
    label = read_window(scene[1], (x, y, w, h))[0][..., 0]
    invalid = ~results['valid_mask']
    assert (results['gt_seg_map'][invalid] == 255).all()
    assert np.array_equal(results['gt_seg_map'][~invalid], label[~invalid])
    assert (results['img'][invalid] == 0).all()  # filled, and marked in valid_mask


def test_patches_keep_their_own_georeference(scene, tmp_path):
    paths = cut_geotiff_patches(scene[0], str(tmp_path / 'patches'), 32, min_valid=0.5)
    assert len(paths) == 9  # 3 x 3, none mostly nodata (the strip is 6 of 32 px)
    with rasterio.open(scene[0]) as src:
        for path in paths:
            y, x = map(int, path[:-4].split('_')[-2:])
            with rasterio.open(path) as patch:
                assert patch.crs == src.crs and patch.count == 13 and patch.nodata == 0
                assert patch.transform == src.transform * src.transform.translation(x, y)
                assert np.array_equal(patch.read(),
                                      src.read(window=rasterio.windows.Window(x, y, 32, 32)))
    skipped = cut_geotiff_patches(scene[0], str(tmp_path / 'strict'), 32, min_valid=0.9)
    assert len(skipped) == 6  # the left column is 19 % nodata


def test_band_statistics_stream_and_never_count_nodata(scene):
    image, masks = read_window(scene[0])
    pixels = image[masks.any(-1)].astype(np.float64)  # [valid, 13]
    stats = band_statistics([scene[0], scene[0]], block=40, percentiles=(50, ))
    assert stats['count'] == 2 * len(pixels)
    assert np.allclose(stats['mean'], pixels.mean(0)) and np.allclose(stats['std'], pixels.std(0))
    assert stats['min'] == pixels.min(0).tolist() and min(stats['min']) > 0  # 0 is nodata
    width = (pixels.max(0) - pixels.min(0)) / 4096
    assert (np.abs(np.array(stats['p50']) - np.median(pixels, 0)) <= 2 * width + 1e-9).all()


def test_rgb_only_transforms_skip_other_band_counts(caplog):
    from mmengine.logging import MMLogger
    MMLogger.get_instance('grass_mm_test_rgbonly')  # a current logger for print_log
    rgb_only = RGBOnly([dict(type='RandomGrayscale', prob=1.0, keep_channels=True)])
    rgb = dict(img=np.random.randint(0, 255, (8, 8, 3), np.uint8))
    assert (rgb_only(dict(rgb))['img'].std(axis=2) == 0).all()  # grey: applied
    bands = np.random.rand(8, 8, 5).astype(np.float32)
    assert np.array_equal(rgb_only(dict(img=bands.copy()))['img'], bands)  # skipped


def test_corrupt_and_truncated_geotiffs_are_named(scene, tmp_path):
    truncated = tmp_path / 'truncated.tif'
    truncated.write_bytes(open(scene[0], 'rb').read()[:3000])
    not_tiff = tmp_path / 'notes.tif'
    not_tiff.write_text('not an image')
    for path in (truncated, not_tiff):
        with pytest.raises(ValueError, match=f'{path.name}: .*(corrupt|truncated)'):
            read_window(str(path))


def test_rgb_kernel_into_n_bands_follows_the_documented_rule():
    weight = torch.randn(8, 3, 7, 7)
    out = adapt_band_weight(weight, 5, rgb_bands=(2, 1, 0))
    assert out.shape == (8, 5, 7, 7)
    assert torch.allclose(out[:, [2, 1, 0]], weight * 3 / 5)
    assert torch.allclose(out[:, 3], weight.mean(1) * 3 / 5) and torch.equal(out[:, 3], out[:, 4])
    # A grey pixel (all bands alike) gives the RGB network's pre-activation.
    assert torch.allclose(out.sum(1), weight.sum(1), atol=1e-5)


def test_pretrained_bands_init_adapts_the_stem_and_names_other_mismatches(tmp_path):
    rgb = ResNet(depth=18)
    path = str(tmp_path / 'rgb.pth')
    torch.save({'state_dict': rgb.state_dict()}, path)
    model = ResNet(depth=18, in_channels=4)
    PretrainedBandsInit(path)(model)
    assert torch.allclose(model.conv1.weight, adapt_band_weight(rgb.conv1.weight, 4))
    assert torch.equal(model.layer4[1].conv2.weight, rgb.layer4[1].conv2.weight)
    with pytest.raises(
            ValueError,
            match=r"rgb.pth: layer1.0.conv1.weight has shape \(64, 64, 3, 3\) there and "
            r"\(32, 64, 3, 3\) in the model; PretrainedBands adapts only"):
        PretrainedBandsInit(path)(ResNet(depth=18, base_channels=32, in_channels=4))


def test_multiband_preprocessor_standardises_every_band_without_clipping():
    pre = MultiBandDataPreprocessor(mean=[1000.] * 13, std=[10.] * 13)
    views = [torch.full((2, 13, 4, 4), 3000.)] * 2
    out = pre(dict(inputs=views, data_samples=None))['inputs']
    assert out[0].shape == (2, 13, 4, 4) and torch.allclose(out[0], torch.full_like(out[0], 200.))
    with pytest.raises(ValueError, match='one value per band'):
        MultiBandDataPreprocessor(mean=[0.] * 4, std=[1.] * 3)
