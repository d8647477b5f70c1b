"""Scene inference on real rasters: nodata exactly where GDAL's dataset mask says so (all bands
nodata, alpha, internal mask; a one-band hole is filled and predicted), the same rule in
training's loaders, and a GIS-ready map of the public Landsat scene in ../shared/data/geotiff."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

from grass_mm.apis import NODATA, predict_windows
from grass_mm.datasets import LoadGeoTIFF, LoadGeoTIFFAnnotation, band_statistics
from grass_mm.datasets.synthetic import SYNTHETIC_CLASSES, SYNTHETIC_PALETTE
from tests.helpers import REPO, needs_rasterio, tool_env

rasterio = needs_rasterio()
from_origin = rasterio.transform.from_origin

FCN = osp.join(REPO, 'configs', 'benchmarks', 'synthetic',
               'fcn_r18-d8_1xb8-400i_synthetic-128x128.py')


class PerPixel:
    """Logits at a pixel from that pixel's bands only, so any correct stitching and filling is
    checkable against the whole scene; ``fill`` plays the band means."""
    fill = np.array([7., 8., 9.], np.float32)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        x = windows.transpose(0, 3, 1, 2)  # [B, 3, h, w]
        return np.stack([x[:, 0], x[:, 1], x[:, 2]], axis=1)


def write_case(path: str, case: str) -> np.ndarray:
    """A 3-band uint8 scene whose masks follow ``case``; returns its RGB data [3, H, W]."""
    rng = np.random.default_rng(0)
    data = rng.integers(1, 255, (3, 60, 70), dtype=np.uint8)
    profile = dict(
        driver='GTiff',
        width=70,
        height=60,
        count=3,
        dtype='uint8',
        crs='EPSG:32618',
        transform=from_origin(101985, 2826915, 300, 300))
    if case in ('all bands nodata', 'one band nodata'):
        data[:, :, :9] = 0  # a collar: every band nodata
        profile['nodata'] = 0
    if case == 'one band nodata':
        data[0, 20:30, 30:40] = 0  # one-band holes (dark water in one band)
        data[1, 40:45, 50:60] = 0
    if case == 'alpha':
        profile['count'] = 4
        alpha = np.full((60, 70), 255, np.uint8)
        alpha[:, 60:] = 0
        alpha[5:10, :20] = 0
        with rasterio.open(path, 'w', photometric='RGB', alpha='YES', **profile) as dst:
            dst.write(np.concatenate([data, alpha[None]]))
        return data
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        with rasterio.open(path, 'w', **profile) as dst:
            dst.write(data)
            if case == 'internal mask':
                mask = np.full((60, 70), 255, np.uint8)
                mask[50:, :] = 0
                mask[:, 33] = 0
                dst.write_mask(mask)
    return data


CASES = ['all bands nodata', 'one band nodata', 'alpha', 'internal mask']


@pytest.mark.parametrize('case', CASES)
def test_map_nodata_is_the_dataset_mask_and_band_holes_are_filled(case, tmp_path):
    scene, out = str(tmp_path / 'scene.tif'), str(tmp_path / 'map.tif')
    data = write_case(scene, case)
    with rasterio.open(scene) as src:
        expected_valid = src.dataset_mask() > 0
        holes = src.read_masks([1, 2, 3]) == 0  # [3, H, W]
        profile = dict(driver='GTiff', width=70, height=60, count=1, dtype='uint8', nodata=255)
        with rasterio.open(out, 'w', **profile) as dst:
            predict_windows(PerPixel(), src, [0, 1, 2], dst, 32, 8, 2)
    assert not expected_valid.all()  # each case masks something
    filled = np.where(holes, PerPixel.fill[:, None, None], data.astype(np.float32))
    expected = filled.argmax(0).astype(np.uint8)
    expected[~expected_valid] = NODATA
    with rasterio.open(out) as result:
        labels = result.read(1)
    assert np.array_equal(labels == NODATA, ~expected_valid)  # pixel for pixel
    assert np.array_equal(labels, expected)
    if case == 'one band nodata':  # the band holes are predicted, from the band mean
        assert (labels[20:30, 30:40] != NODATA).all() and (labels[40:45, 50:60] != NODATA).all()


@pytest.mark.parametrize('case', CASES)
def test_training_loaders_use_the_same_rule(case, tmp_path):
    scene, label = str(tmp_path / 'scene.tif'), str(tmp_path / 'label.tif')
    data = write_case(scene, case)
    with rasterio.open(
            label, 'w', driver='GTiff', width=70, height=60, count=1, dtype='uint8') as dst:
        dst.write(np.ones((1, 60, 70), np.uint8))
    with rasterio.open(scene) as src:
        expected_valid = src.dataset_mask() > 0
        holes = (src.read_masks([1, 2, 3]) == 0).transpose(1, 2, 0)
    results = LoadGeoTIFF(bands=[0, 1, 2], fill_value=-1)(dict(img_path=scene))
    results = LoadGeoTIFFAnnotation()(dict(results, seg_map_path=label))
    assert np.array_equal(results['valid_mask'], expected_valid)
    assert np.array_equal(results['gt_seg_map'] == 255, ~expected_valid)  # ignored: no data
    img = results['img']
    assert (img[holes] == -1).all()
    assert np.array_equal(img[~holes], data.transpose(1, 2, 0)[~holes].astype(np.float32))
    # Band statistics: valid pixels only, and a band's holes left out of that band alone.
    stats = band_statistics([scene], bands=[0, 1, 2], block=32)
    has_data = ~holes.transpose(2, 0, 1)  # [3, H, W]
    assert stats['count'] == expected_valid.sum()
    assert np.allclose(stats['mean'], [band[m].mean() for band, m in zip(data, has_data)])


@pytest.fixture(scope='module')
def fcn_checkpoint(tmp_path_factory) -> str:
    """The synthetic FCN with random weights, saved as a trained run saves it (a full training
    checkpoint: meta with the dataset's classes and palette, and a message hub)."""
    from mmengine.logging import MessageHub
    from mmseg.apis import init_model
    model = init_model(FCN, None, device='cpu')
    path = str(tmp_path_factory.mktemp('fcn') / 'iter_400.pth')
    meta = dict(dataset_meta=dict(classes=SYNTHETIC_CLASSES, palette=SYNTHETIC_PALETTE))
    hub = MessageHub.get_instance('fcn_checkpoint')
    hub.update_scalar('train/loss', 0.5)  # a HistoryBuffer, as in mmengine's
    torch.save(dict(state_dict=model.state_dict(), meta=meta, message_hub=hub.state_dict()), path)
    return path


@pytest.mark.slow
def test_landsat_scene_to_a_gis_ready_map(shared_data, fcn_checkpoint, tmp_path):
    scene = osp.join(shared_data, 'geotiff', 'RGB.byte.tif')
    if not osp.isfile(scene):
        pytest.skip(f'{scene} not found (the public Landsat scene of ../shared/data/geotiff)')
    out, conf = str(tmp_path / 'map.tif'), str(tmp_path / 'confidence.tif')
    result = subprocess.run([
        sys.executable, 'tools/predict_scene.py', FCN, fcn_checkpoint, scene, out, '--window',
        '256', '--overlap', '64', '--confidence', conf
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            env=tool_env(),
                            timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    with rasterio.open(scene) as src:
        valid, crs, transform = src.dataset_mask() > 0, src.crs, src.transform
    with rasterio.open(out) as dst:
        labels = dst.read(1)
        assert np.array_equal(labels == NODATA, ~valid)  # 184,823 nodata, the 710 kept
        assert dst.crs == crs and dst.transform == transform and dst.nodata == NODATA
        assert dst.descriptions == ('class', )
        assert json.loads(dst.tags(1)['classes']) == list(SYNTHETIC_CLASSES)
        assert dst.tags(1)['CLASS_1'] == SYNTHETIC_CLASSES[1]
        colours = dst.colormap(1)
        assert all(colours[i][:3] == tuple(c) for i, c in enumerate(SYNTHETIC_PALETTE))
        assert dst.overviews(1) == [
            2
        ] and dst.block_shapes[0] == (256, 256) and dst.compression.value == 'DEFLATE'
    with rasterio.open(conf) as c:
        probability = c.read(1)
        assert c.nodata == 0 and c.transform == transform
        assert np.array_equal(probability == 0, ~valid)
        assert probability[valid].min() >= 255 // len(SYNTHETIC_CLASSES)
    qml = open(str(tmp_path / 'map.qml')).read()
    assert all(f'label="{name}"' in qml for name in SYNTHETIC_CLASSES)
    # A quiet console: the plan, progress, the summary (the full training checkpoint loads as
    # data, so there is nothing to note about it).
    lines = result.stdout.strip().splitlines()
    assert len(lines) <= 14, result.stdout
    assert not any('unpickled' in line for line in lines)
    assert 'pixels predicted' in lines[-1] and f'{int(valid.sum())} pixels' in lines[-1]
    assert 'Warning' not in result.stdout + result.stderr, result.stderr[-2000:]
    assert osp.isfile(str(tmp_path / 'map.log'))


# -- bad input: checkpoints that do not fit, outputs that would replace each other ------------
def test_a_checkpoint_that_does_not_fit_the_model_is_refused(fcn_checkpoint, tmp_path):
    from grass_mm.apis import SceneModel
    state = torch.load(fcn_checkpoint, map_location='cpu', weights_only=False)['state_dict']
    # A pretraining checkpoint: a backbone and a projection neck, no decode head.
    pretrain = str(tmp_path / 'grass_epoch_30.pth')
    torch.save(
        dict(
            state_dict={
                **{
                    k: v
                    for k, v in state.items() if k.startswith('backbone.')
                }, 'neck.fc0.weight': torch.zeros(2, 2)
            },
            meta={}), pretrain)
    with pytest.raises(
            ValueError,
            match=r'grass_epoch_30\.pth does not fit the model.*missing '
            r'decode_head\..*pretraining checkpoint\? Fine-tune it first'):
        SceneModel(FCN, pretrain)
    # Another depth: shapes differ.
    shrunk = str(tmp_path / 'other_depth.pth')
    other = dict(state)
    key = next(k for k in other if k.startswith('backbone.') and other[k].dim() == 4)
    other[key] = torch.zeros(1, *other[key].shape[1:])
    torch.save(dict(state_dict=other, meta={}), shrunk)
    with pytest.raises(ValueError, match=rf'other_depth\.pth does not fit.*{key}: checkpoint'):
        SceneModel(FCN, shrunk)


def test_colliding_missing_or_existing_outputs_are_refused_before_any_work(tmp_path):
    from grass_mm.apis import check_outputs
    scene = str(tmp_path / 'scene.tif')
    write_case(scene, 'alpha')
    out = str(tmp_path / 'map.tif')
    with pytest.raises(ValueError, match='the preview output would replace the map output'):
        check_outputs(scene, map=out, preview=out)
    with pytest.raises(ValueError, match='would replace the input'):
        check_outputs(scene, map=scene)
    with pytest.raises(ValueError, match=r'the folder .*nowhere does not exist'):
        check_outputs(scene, map=str(tmp_path / 'nowhere' / 'map.tif'))
    open(out, 'w').close()
    with pytest.raises(ValueError, match='map.tif exists'):
        check_outputs(scene, map=out)


def test_outputs_appear_only_when_complete_and_a_failure_leaves_nothing(tmp_path, monkeypatch):
    import grass_mm.apis.scene_inference as si

    class Model(PerPixel):
        in_channels, mean, classes, palette = 3, np.zeros(3, np.float32), ['a', 'b',
                                                                           'c'], [[0, 0, 0],
                                                                                  [255, 0, 0],
                                                                                  [0, 255, 0]]

    scene = str(tmp_path / 'scene.tif')
    write_case(scene, 'all bands nodata')
    seen = []

    def watch(*args, **kwargs):  # while windows are predicted, no final output exists
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        return real(*args, **kwargs)

    real = si.predict_windows
    monkeypatch.setattr(si, 'predict_windows', watch)
    out = str(tmp_path / 'map.tif')
    si.predict_scene(
        Model(),
        scene,
        out,
        32,
        8,
        preview=str(tmp_path / 'p.png'),
        confidence=str(tmp_path / 'c.tif'))
    assert 'map.tif' not in seen[0] and any('.map.partial-' in n for n in seen[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'c.tif', 'map.qml', 'map.tif', 'p.png', 'scene.tif'
    ]

    def fail(*args, **kwargs):
        raise RuntimeError('killed')

    monkeypatch.setattr(si, 'predict_windows', fail)
    with pytest.raises(RuntimeError, match='killed'):
        si.predict_scene(Model(), scene, str(tmp_path / 'map2.tif'), 32, 8)
    assert not [p for p in tmp_path.iterdir() if 'map2' in p.name]
    with pytest.raises(ValueError, match='need batch >= 1 window per forward pass, got 0'):
        si.predict_scene(Model(), scene, str(tmp_path / 'map3.tif'), 32, 8, batch=0)
    # A killed run's partial file (its pid gone) is removed by the next run for that output.
    monkeypatch.setattr(si, 'predict_windows', real)
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True,
                          text=True).stdout.strip()
    (tmp_path / f'.map4.partial-{dead}.tif').write_bytes(b'half a map')
    (tmp_path / f'.map4.partial-{os.getppid()}.tif').write_bytes(b'a live run')
    with pytest.warns(
            UserWarning, match=rf'removed .*\.map4\.partial-{dead}\.tif, left by a killed'):
        si.predict_scene(Model(), scene, str(tmp_path / 'map4.tif'), 32, 8)
    assert sorted(p.name for p in tmp_path.iterdir() if 'map4' in p.name) == [
        f'.map4.partial-{os.getppid()}.tif', 'map4.qml', 'map4.tif'
    ]


def test_the_tool_names_a_missing_output_folder_and_a_preview_over_its_map(
        fcn_checkpoint, tmp_path):
    scene = str(tmp_path / 'scene.tif')
    write_case(scene, 'all bands nodata')
    for out, extra, said in ((str(tmp_path / 'no' / 'map.tif'), [], 'does not exist'),
                             (str(tmp_path / 'map.tif'), ['--preview',
                                                          str(tmp_path / 'map.tif')],
                              'would replace the map output')):
        result = subprocess.run(
            [sys.executable, 'tools/predict_scene.py', FCN, fcn_checkpoint, scene, out] + extra,
            cwd=REPO,
            capture_output=True,
            text=True,
            env=tool_env())
        assert result.returncode != 0 and said in result.stderr, result.stderr[-2000:]
        assert 'Traceback' not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['scene.tif']


def test_a_scene_in_other_units_than_the_model_is_refused(tmp_path):
    from grass_mm.apis.scene_inference import check_scene_units
    rng = np.random.default_rng(0)
    twelve_bit = rng.integers(200, 4095, (3, 40, 50)).astype(np.uint16)
    path = str(tmp_path / 'deep.tif')
    with rasterio.open(
            path, 'w', driver='GTiff', width=50, height=40, count=3, dtype='uint16') as dst:
        dst.write(twelve_bit)
    eight_bit_model = np.array([123.7, 116.3, 103.5])
    with rasterio.open(path) as src:
        with pytest.raises(
                ValueError,
                match=r'deep\.tif: band 0 has mean .* \(uint16\) but the '
                r'model normalises it with mean 123\.7'):
            check_scene_units(src, path, [0, 1, 2], eight_bit_model)
        check_scene_units(src, path, [0, 1, 2], twelve_bit.reshape(3, -1).mean(1))  # same units
    dark = str(tmp_path / 'dark.tif')  # an 8-bit scene for an 8-bit model: never refused
    with rasterio.open(
            dark, 'w', driver='GTiff', width=50, height=40, count=3, dtype='uint8') as dst:
        dst.write(np.full((3, 40, 50), 3, np.uint8))
    with rasterio.open(dark) as src:
        check_scene_units(src, dark, [0, 1, 2], eight_bit_model)


def test_a_map_carries_the_models_own_class_names(fcn_checkpoint, tmp_path):
    """Never another dataset's legend: the checkpoint's dataset_meta, else the config's dataset,
    else class_0..N-1 with a warning (mmseg's init_model would pick Cityscapes' 19 names)."""
    from mmengine.config import Config

    from grass_mm.apis import SceneModel
    from grass_mm.apis.scene_model import class_names
    cfg = Config.fromfile(FCN)
    n = len(SYNTHETIC_CLASSES)
    meta = dict(dataset_meta=dict(classes=['a'] * n, palette=[[1, 2, 3]] * n))
    assert class_names(meta, cfg, n)[::2] == (['a'] * n, 'checkpoint')
    assert class_names({}, cfg, n)[::2] == (list(SYNTHETIC_CLASSES), 'config')
    assert class_names(dict(dataset_meta=dict(classes=['x'] * 19)), cfg, n)[2] == 'config'
    names, palette, source = class_names({}, Config(dict(model=cfg.model)), 5)
    assert (names, source) == ([f'class_{i}' for i in range(5)], 'none')
    assert len(palette) == 5 and len(set(map(tuple, palette))) == 5
    # Through the model: a checkpoint saved without meta gets the config's names.
    state = torch.load(fcn_checkpoint, map_location='cpu', weights_only=False)['state_dict']
    bare = str(tmp_path / 'no_meta.pth')
    torch.save(dict(state_dict=state), bare)
    model = SceneModel(FCN, bare)
    assert (model.classes, model.names_from) == (list(SYNTHETIC_CLASSES), 'config')
    assert len(model.palette) == n


@pytest.mark.parametrize('scale,refused', [(1, False), (2, True), (4, True), (16, True)])
def test_the_units_rule_on_the_real_scene_and_its_scaled_copies(shared_data, tmp_path, scale,
                                                                refused):
    """The Landsat scene (8-bit) as uint16 copies scaled x1 (same values), x2, x4 (a 10-bit
    scene) and x16, against the configs' 8-bit statistics: x1 passes, the others are refused
    (x4 by the 99th-percentile rule alone: its mean is within the 8x ratio)."""
    from grass_mm.apis.scene_inference import check_scene_units
    with rasterio.open(osp.join(shared_data, 'geotiff', 'RGB.byte.tif')) as src:
        data, profile = src.read().astype(np.uint16) * scale, src.profile
    path = str(tmp_path / f'x{scale}.tif')
    profile.update(dtype='uint16')
    with rasterio.open(path, 'w', **profile) as dst:
        dst.write(data)
    mean, std = np.array([123.675, 116.28, 103.53]), np.array([58.395, 57.12, 57.375])
    with rasterio.open(path) as src:
        if refused:
            with pytest.raises(
                    ValueError,
                    match=rf'x{scale}\.tif: band 0: 1 % of its valid pixels '
                    r'are above .*standard deviations above the mean the model .*'
                    r'--skip-units-check'):
                check_scene_units(src, path, [0, 1, 2], mean, std)
        else:
            check_scene_units(src, path, [0, 1, 2], mean, std)


@pytest.mark.slow
def test_predict_scene_refuses_a_scene_of_other_units_in_one_line(shared_data, fcn_checkpoint,
                                                                  tmp_path):
    """The tool's refusal is one whole line on stderr (newline included: what follows starts
    on its own line), and no output is written."""
    with rasterio.open(osp.join(shared_data, 'geotiff', 'RGB.byte.tif')) as src:
        data, profile = src.read().astype(np.uint16) * 16, src.profile
    profile.update(dtype='uint16')
    scene = str(tmp_path / 'x16.tif')
    with rasterio.open(scene, 'w', **profile) as dst:
        dst.write(data)
    result = subprocess.run([
        sys.executable, 'tools/predict_scene.py', FCN, fcn_checkpoint, scene,
        str(tmp_path / 'map.tif')
    ],
                            cwd=REPO,
                            env=tool_env(),
                            capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert result.stderr.startswith('predict_scene: ') and result.stderr.count('\n') == 1
    assert result.stderr.endswith('skip this check (--skip-units-check)\n')
    assert not (tmp_path / 'map.tif').exists()
