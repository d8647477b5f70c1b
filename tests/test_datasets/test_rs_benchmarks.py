"""From official archive layouts (small synthetic archives) to mmseg layout and pretraining
patches, and mmseg's dataset classes on the real benchmark crops."""
import os
import os.path as osp
import zipfile

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

from grass_mm.datasets.rs_benchmarks import prepare_rs_benchmark

pytestmark = pytest.mark.slow  # mmseg's converters end to end (docs/en/notes/contributing.md)


def png_bytes(array, ext='.png'):
    ok, buf = cv2.imencode(ext, array)
    assert ok
    return buf.tobytes()


def prepare(dataset, archives, out, patch_size=256):
    return '\n'.join(prepare_rs_benchmark(dataset, str(archives), str(out), patch_size))


def test_potsdam_archives_to_mmseg_layout_and_training_patches(tmp_path):
    rng = np.random.default_rng(0)
    archives = tmp_path / 'archives'
    archives.mkdir()
    tiles = {'2_10': 'train', '2_13': 'val'}  # mmseg's official Potsdam split
    with zipfile.ZipFile(archives / '2_Ortho_RGB.zip', 'w') as z:
        for tile in tiles:
            image = rng.integers(1, 255, (600, 600, 3), dtype=np.uint8)
            z.writestr(f'2_Ortho_RGB/top_potsdam_{tile}_RGB.tif', png_bytes(image, '.tif'))
    with zipfile.ZipFile(archives / '5_Labels_all_noBoundary.zip', 'w') as z:
        for tile in tiles:
            label = np.full((600, 600, 3), 255, np.uint8)
            z.writestr(f'top_potsdam_{tile}_label_noBoundary.tif', png_bytes(label, '.tif'))
    out = tmp_path / 'potsdam'
    prepare('potsdam', archives, out)
    for split, tile in (('train', '2_10'), ('val', '2_13')):
        names = os.listdir(out / 'img_dir' / split)
        assert names and all(n.startswith(tile + '_') for n in names)
        assert sorted(os.listdir(out / 'ann_dir' / split)) == sorted(names)
    patches = os.listdir(out / 'pretrain_patches')
    assert len(patches) == 9 and all(p.startswith('2_10_') for p in patches)  # train only
    assert cv2.imread(str(out / 'pretrain_patches' / patches[0])).shape == (256, 256, 3)
    assert 'left as it is' in prepare('potsdam', archives, out)  # no rewrite


def test_potsdam_rgbir_archive_to_four_band_geotiff_patches_paired_with_mmseg_labels(tmp_path):
    import rasterio
    from rasterio.transform import from_origin
    rng = np.random.default_rng(0)
    archives = tmp_path / 'archives'
    archives.mkdir()
    tiles = {'2_10': 'train', '2_13': 'val'}
    with zipfile.ZipFile(archives / '4_Ortho_RGBIR.zip', 'w') as z:
        for tile in tiles:
            path = str(tmp_path / f'top_potsdam_{tile}_RGBIR.tif')
            with rasterio.open(
                    path,
                    'w',
                    driver='GTiff',
                    width=700,
                    height=600,
                    count=4,
                    dtype='uint8',
                    crs='EPSG:32633',
                    transform=from_origin(368000, 5808000, 0.05, 0.05)) as dst:
                dst.write(rng.integers(1, 255, (4, 600, 700), dtype=np.uint8))
            z.write(path, f'4_Ortho_RGBIR/top_potsdam_{tile}_RGBIR.tif')
    with zipfile.ZipFile(archives / '5_Labels_all_noBoundary.zip', 'w') as z:
        for tile in tiles:
            label = np.full((600, 700, 3), 255, np.uint8)
            z.writestr(f'top_potsdam_{tile}_label_noBoundary.tif', png_bytes(label, '.tif'))
    out = tmp_path / 'potsdam_rgbir'
    prepare('potsdam-rgbir', archives, out)
    for tile, split in tiles.items():
        images = sorted(n[:-4] for n in os.listdir(out / 'img_dir' / split))
        labels = sorted(n[:-4] for n in os.listdir(out / 'ann_dir' / split))
        assert images == labels and all(n.startswith(tile + '_') for n in images)  # paired
    name = sorted(os.listdir(out / 'img_dir' / 'train'))[-1]
    x1, y1 = map(int, name[:-4].split('_')[2:4])
    with rasterio.open(out / 'img_dir' / 'train' / name) as patch:
        assert patch.count == 4 and (patch.width, patch.height) == (512, 512)
        assert patch.transform == from_origin(368000 + 0.05 * x1, 5808000 - 0.05 * y1, 0.05, 0.05)
    patches = os.listdir(out / 'pretrain_patches')
    assert len(patches) == 9 and all(p.startswith('top_potsdam_2_10_') for p in patches)  # 3x3


def test_vaihingen_archives_to_mmseg_layout_and_training_patches(tmp_path):
    rng = np.random.default_rng(0)
    archives = tmp_path / 'archives'
    archives.mkdir()
    areas = {'area1': 'train', 'area2': 'val'}  # mmseg's official Vaihingen split
    with zipfile.ZipFile(archives / 'ISPRS_semantic_labeling_Vaihingen.zip', 'w') as z:
        for area in areas:
            image = rng.integers(1, 255, (520, 530, 3), dtype=np.uint8)
            z.writestr(f'top/top_mosaic_09cm_{area}.tif', png_bytes(image, '.tif'))
    gt = 'ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE.zip'
    with zipfile.ZipFile(archives / gt, 'w') as z:
        for area in areas:
            label = np.full((520, 530, 3), 255, np.uint8)
            z.writestr(f'top_mosaic_09cm_{area}_noBoundary.tif', png_bytes(label, '.tif'))
    out = tmp_path / 'vaihingen'
    prepare('vaihingen', archives, out)
    for area, split in areas.items():
        names = os.listdir(out / 'img_dir' / split)
        assert names and all(n.startswith(area + '_') for n in names)
    patches = os.listdir(out / 'pretrain_patches')
    assert patches and all(p.startswith('area1_') for p in patches)  # training area only


def test_loveda_archives_to_mmseg_layout_and_domain_patches(tmp_path):
    rng = np.random.default_rng(0)
    archives = tmp_path / 'archives'
    archives.mkdir()
    ids = dict(
        Train=dict(Rural=0, Urban=1366),
        Val=dict(Rural=2522, Urban=3514),
        Test=dict(Rural=4191, Urban=5000))
    for split, domains in ids.items():
        with zipfile.ZipFile(archives / f'{split}.zip', 'w') as z:
            for domain, index in domains.items():
                image = rng.integers(1, 255, (512, 512, 3), dtype=np.uint8)
                z.writestr(f'{split}/{domain}/images_png/{index}.png', png_bytes(image))
                if split != 'Test':
                    mask = rng.integers(0, 8, (512, 512), dtype=np.uint8)
                    z.writestr(f'{split}/{domain}/masks_png/{index}.png', png_bytes(mask))
    out = tmp_path / 'loveDA'
    prepare('loveda', archives, out)
    assert sorted(os.listdir(out / 'img_dir' / 'train')) == ['0.png', '1366.png']
    assert sorted(os.listdir(out / 'img_dir' / 'val')) == ['2522.png', '3514.png']
    for domain, index in (('urban', 1366), ('rural', 0)):
        patches = sorted(
            f for f in os.listdir(out / 'pretrain_patches' / domain) if f.endswith('.png'))
        assert len(patches) == 4 and all(p.startswith(f'{index}_') for p in patches)


@pytest.mark.parametrize('name,dataset_type,classes', [
    ('pseudo_potsdam_dataset', 'PotsdamDataset', 6),
    ('pseudo_vaihingen_dataset', 'ISPRSDataset', 6),
    ('pseudo_loveda_dataset', 'LoveDADataset', 7),
])
def test_mmseg_dataset_classes_read_the_real_benchmark_crops(shared_data, name, dataset_type,
                                                             classes):
    root = osp.join(shared_data, 'rs_benchmark_crops', name)
    cfg = dict(
        type=dataset_type,
        data_root=root,
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations')])  # the classes reduce label 0
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(cfg)
        sample = dataset[0]
    labels = np.unique(sample['gt_seg_map'])
    assert len(dataset.metainfo['classes']) == classes
    assert set(labels.tolist()) <= set(range(classes)) | {255} and len(labels) > 1
    assert sample['img'].shape[:2] == sample['gt_seg_map'].shape


def test_patch_tool_on_a_real_benchmark_crop(shared_data, tmp_path):
    from grass_mm.datasets.patches import cut_patches, find_images
    images = find_images(
        osp.join(shared_data, 'rs_benchmark_crops', 'pseudo_loveda_dataset', 'img_dir'))
    counts = cut_patches(images, str(tmp_path / 'p'), patch_size=256, min_valid=0.5)
    assert counts['images'] == 3 and counts['written'] + counts['skipped'] == 3 * 16


@pytest.mark.parametrize('case', ['not a zip', 'no images', 'bad images'])
def test_a_bad_archive_is_named_and_leaves_no_partial_output(tmp_path, case):
    archives = tmp_path / 'archives'
    archives.mkdir()
    with zipfile.ZipFile(archives / '5_Labels_all_noBoundary.zip', 'w') as z:
        z.writestr('top_potsdam_2_10_label_noBoundary.tif', b'not read before the images')
    if case == 'not a zip':
        (archives / '2_Ortho_RGB.zip').write_text('<html>403 Forbidden</html>')
    else:
        with zipfile.ZipFile(archives / '2_Ortho_RGB.zip', 'w') as z:
            name = 'readme.txt' if case == 'no images' else '2_Ortho_RGB/top_potsdam_2_10_RGB.tif'
            z.writestr(name, b'garbage')
    out = tmp_path / 'potsdam'
    expected = {
        'not a zip': '2_Ortho_RGB.zip: not a zip archive',
        'no images': '2_Ortho_RGB.zip: holds no .tif file',
        'bad images': "mmseg's potsdam converter failed"
    }[case]
    with pytest.raises((ValueError, RuntimeError), match=expected):
        prepare('potsdam', archives, out)
    assert not (out / 'img_dir').exists() and not (out / 'ann_dir').exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.convert-')]
