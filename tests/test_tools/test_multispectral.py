"""Multispectral GeoTIFF end to end: generated 13-band uint16 scenes with nodata (the shipped
4-band configs told the band count by options) through patching, band statistics, GraSS
pretraining, export, mmseg fine-tuning and scene prediction, whose output must land on the map
(CRS, transform and size of the input); the shipped 4-band fine-tuning config is trained as it is
for the scene-prediction tests below. Trainings run through
``tools/train.py`` as a user runs them; the other steps call the library functions their tools
call (each tool's front door is tested in test_front_doors.py and test_scene_inference.py)."""
import os.path as osp
import re
import sys

import numpy as np
import pytest

from grass_mm.apis import SceneModel, predict_scene
from grass_mm.datasets import generate_synthetic_multispectral, write_synthetic_scene
from grass_mm.datasets.patches import cut_geotiff_patches
from grass_mm.datasets.raster import band_statistics, find_geotiffs
from grass_mm.utils import extract_backbone
from tests.helpers import REPO, needs_rasterio
from tests.test_tools.test_tools import run

rasterio = needs_rasterio()

pytestmark = pytest.mark.slow

PRETRAIN = osp.join(REPO, 'configs', 'grass',
                    'grass_resnet18_1xb16-coslr-30e_synthetic-ms4-128px.py')
FINETUNE = osp.join(REPO, 'configs', 'benchmarks', 'synthetic',
                    'fcn_r18-d8_1xb8-400i_synthetic-ms4-128x128.py')


def seg_options(root: str, bands: int, mean: list, std: list) -> list:
    return [
        f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=4',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False', f'model.backbone.in_channels={bands}',
        f'model.data_preprocessor.mean={mean}', f'model.data_preprocessor.std={std}'
    ]


@pytest.mark.parametrize('bands', [13])
def test_multispectral_geotiffs_from_scenes_to_a_georeferenced_map(bands, tmp_path):
    root = generate_synthetic_multispectral(
        str(tmp_path / 'data'), bands=bands, num_train=3, num_val=1, size=128)
    patches = str(tmp_path / 'patches')
    scenes = find_geotiffs(f'{root}/img_dir/train')
    assert len(scenes) == 3
    written = [p for s in scenes for p in cut_geotiff_patches(s, patches, 96, 64, 0.5)]
    assert written and all(osp.isfile(p) for p in written)
    stats = band_statistics(scenes)
    mean, std = [round(v, 1) for v in stats['mean']], [round(v, 1) for v in stats['std']]
    assert len(mean) == bands and min(stats['min']) > 0  # nodata (0) never counted

    work = str(tmp_path / 'work')
    log = run([
        sys.executable, 'tools/train.py', PRETRAIN, '--work-dir', f'{work}/pre', '--cfg-options',
        f'train_dataloader.dataset.data_root={patches}', 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=2', 'custom_hooks.0.warmup_epochs=1',
        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
        'train_dataloader.dataset.pipeline.0.crop_size=96', f'model.backbone.in_channels={bands}',
        f'model.data_preprocessor.mean={mean}', f'model.data_preprocessor.std={std}'
    ])
    assert f'RGBOnly: {bands}-band images; skipping' in log
    assert 'GraSS stage: warmup -> gs' in log and re.search(r'stage: 1\.0000.*box_area', log)
    backbone = f'{work}/backbone.pth'
    assert extract_backbone(f'{work}/pre/epoch_2.pth', backbone) == 120
    log = run([
        sys.executable, 'tools/train.py', FINETUNE, '--work-dir', f'{work}/seg', '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={backbone}', *seg_options(root, bands, mean, std)
    ])
    assert 'PretrainedCheckHook: all 120 tensors of backbone equal' in log

    scene, out = str(tmp_path / 'scene.tif'), str(tmp_path / 'map.tif')
    write_synthetic_scene(scene, np.random.default_rng(7), 300, bands)
    config = f'{work}/seg/' + osp.basename(FINETUNE)  # the run's own config, bands and all
    # predict_scene.py's library call (the tool only parses arguments and prints)
    predict_scene(
        SceneModel(config, f'{work}/seg/iter_4.pth'),
        scene,
        out,
        window=128,
        overlap=32,
        preview=str(tmp_path / 'map.png'))
    assert osp.isfile(tmp_path / 'map.png')
    with rasterio.open(scene) as src, rasterio.open(out) as dst:
        assert dst.crs == src.crs and dst.transform == src.transform
        assert (dst.width, dst.height, dst.count, dst.dtypes[0]) == (300, 300, 1, 'uint8')
        labels, valid = dst.read(1), src.read_masks(1) > 0
    assert (labels[~valid] == 255).all() and (labels[valid] < 5).all()


@pytest.fixture(scope='module')
def seg_run(tmp_path_factory):
    """A 4-band FCN checkpoint (4 iterations) and its config."""
    tmp = tmp_path_factory.mktemp('ms_seg')
    root = generate_synthetic_multispectral(str(tmp / 'data'), 4, num_train=2, num_val=1, size=96)
    work = str(tmp / 'seg')
    run([
        sys.executable, 'tools/train.py', FINETUNE, '--work-dir', work, '--cfg-options',
        'model.backbone.init_cfg=None', *seg_options(root, 4, [2000.0] * 4, [500.0] * 4)
    ])
    return osp.join(work, osp.basename(FINETUNE)), osp.join(work, 'iter_4.pth')


def test_predict_scene_bad_input(seg_run, tmp_path):
    model = SceneModel(*seg_run)  # one model for every scene below, as a long session would

    def predict(scene: str, out: str, **kwargs) -> dict:
        return predict_scene(model, scene, out, **kwargs)

    rng = np.random.default_rng(0)
    wrong = str(tmp_path / 'thirteen.tif')
    write_synthetic_scene(wrong, rng, 64, 13)
    with pytest.raises(ValueError, match=r'thirteen\.tif gives 13 bands.*takes 4'):
        predict(wrong, str(tmp_path / 'a.tif'))
    assert not osp.exists(tmp_path / 'a.tif')
    predict(wrong, str(tmp_path / 'b.tif'), bands=[0, 1, 2, 5])
    assert osp.isfile(tmp_path / 'b.tif')

    truncated = tmp_path / 'truncated.tif'
    write_synthetic_scene(str(tmp_path / 'whole.tif'), rng, 64, 4)
    truncated.write_bytes((tmp_path / 'whole.tif').read_bytes()[:2000])
    with pytest.raises(ValueError, match=r'truncated\.tif'):
        predict(str(truncated), str(tmp_path / 'c.tif'))
    assert not osp.exists(tmp_path / 'c.tif')

    # No georeference: works, warns, writes no CRS. Smaller than the window: one window.
    plain = str(tmp_path / 'plain.tif')
    write_synthetic_scene(plain, rng, 60, 4, crs=None)
    with pytest.warns(UserWarning, match=r'has no georeference \(no CRS\)'):
        predict(plain, str(tmp_path / 'd.tif'), window=128, overlap=32)
    with rasterio.open(tmp_path / 'd.tif') as dst:
        assert dst.crs is None and (dst.width, dst.height) == (60, 60)

    # An all-nodata window is not run through the model and comes out nodata.
    holes = str(tmp_path / 'holes.tif')
    write_synthetic_scene(holes, rng, 96, 4)
    with rasterio.open(holes, 'r+') as f:
        f.write(np.zeros((4, 96, 48), np.uint16), window=rasterio.windows.Window(48, 0, 48, 96))
    predict(holes, str(tmp_path / 'e.tif'), window=48, overlap=0)
    with rasterio.open(tmp_path / 'e.tif') as dst:
        labels = dst.read(1)
    assert (labels[:, 48:] == 255).all() and (labels[:, 6:48] < 5).all()

    # An existing output is never overwritten.
    before = (tmp_path / 'e.tif').read_bytes()
    with pytest.raises(ValueError, match=r'e\.tif exists'):
        predict(holes, str(tmp_path / 'e.tif'))
    assert (tmp_path / 'e.tif').read_bytes() == before
