import os
import os.path as osp

import cv2
import numpy as np
import pytest

from grass_mm.datasets import DUBAI_CLASSES, DubaiAerialDataset, convert_dubai_aerial
from grass_mm.datasets.dubai_aerial import DUBAI_PALETTE, rgb_mask_to_index


def write_archive(root, tiles=(1, 2), parts=2, size=(20, 30)):
    """A small archive in the original layout, with a known label per pixel."""
    rng = np.random.default_rng(0)
    truth = {}
    for tile in tiles:
        for sub in ('images', 'masks'):
            os.makedirs(osp.join(root, 'Semantic segmentation dataset', f'Tile {tile}', sub))
        for part in range(1, parts + 1):
            labels = rng.integers(0, 6, size).astype(np.uint8)
            labels[0, :3] = 255  # black pixels
            rgb = np.array(DUBAI_PALETTE + [[0, 0, 0]], np.uint8)[np.minimum(labels, 6)]
            tile_dir = osp.join(root, 'Semantic segmentation dataset', f'Tile {tile}')
            cv2.imwrite(osp.join(tile_dir, 'masks', f'image_part_00{part}.png'), rgb[..., ::-1])
            cv2.imwrite(
                osp.join(tile_dir, 'images', f'image_part_00{part}.jpg'),
                rng.integers(0, 255, (*size, 3)).astype(np.uint8))
            truth[f'tile{tile}_image_part_00{part}'] = labels
    return truth


def test_converter_on_a_small_archive(tmp_path):
    truth = write_archive(str(tmp_path / 'src'))
    counts = convert_dubai_aerial(
        str(tmp_path / 'src'), str(tmp_path / 'out'), train_tiles=(1, ), val_tiles=(2, ))
    assert counts == {'train': 2, 'val': 2}
    for name, labels in truth.items():
        split = 'train' if name.startswith('tile1') else 'val'
        out = cv2.imread(str(tmp_path / 'out' / 'ann_dir' / split / f'{name}.png'), 0)
        assert np.array_equal(out, labels)


def test_converter_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match='Tile 1/images not found'):
        convert_dubai_aerial(str(tmp_path), str(tmp_path / 'out'))
    with pytest.raises(ValueError, match='overlap'):
        convert_dubai_aerial(str(tmp_path), str(tmp_path / 'out'), (1, 2), (2, ))
    with pytest.raises(ValueError, match='bad.png: 100.0% of the pixels'):
        rgb_mask_to_index(np.full((4, 4, 3), 7, np.uint8), 'bad.png')


def test_converter_on_the_real_tiles(shared_data, tmp_path):
    out = str(tmp_path / 'dubai')
    counts = convert_dubai_aerial(osp.join(shared_data, 'dubai_aerial'), out)
    assert counts == {'train': 54, 'val': 9}
    val = sorted(os.listdir(osp.join(out, 'img_dir', 'val')))
    assert all(name.startswith('tile7_') for name in val)  # split by tile, never by image
    values = set()
    for name in sorted(os.listdir(osp.join(out, 'ann_dir', 'val'))):
        values |= set(np.unique(cv2.imread(osp.join(out, 'ann_dir', 'val', name), 0)).tolist())
    assert values <= set(range(6)) | {255} and len(values - {255}) >= 5
    dataset = DubaiAerialDataset(
        data_root=out,
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='mmseg.LoadAnnotations')])
    assert len(dataset) == 54 and dataset.metainfo['classes'] == DUBAI_CLASSES
    sample = dataset[0]
    assert sample['img'].shape[:2] == sample['gt_seg_map'].shape


@pytest.mark.slow
def test_pretraining_patches_from_the_real_training_tiles_only(dubai_mmseg, tmp_path):
    from grass_mm.datasets.patches import cut_patches, find_images
    out = str(tmp_path / 'patches')
    counts = cut_patches(
        find_images(osp.join(dubai_mmseg, 'img_dir', 'train')), out, patch_size=512, min_valid=0.9)
    names = [n for n in os.listdir(out) if n.endswith('.png')]
    assert counts['images'] == 54 and len(names) == counts['written'] > 54
    assert {n.split('_')[0] for n in names} == {f'tile{i}' for i in range(1, 7)}  # no tile7


def test_all_tiles_split_folds_by_tile_and_ignores_unlabeled(tmp_path):
    from mmengine.registry import init_default_scope

    from grass_mm.datasets import DUBAI_EVAL_CLASSES, load_dubai_tiles
    truth = write_archive(str(tmp_path / 'src'), tiles=(1, 2, 3))
    counts = convert_dubai_aerial(
        str(tmp_path / 'src'),
        str(tmp_path / 'out'),
        train_tiles=(1, 2),
        val_tiles=(3, ),
        all_tiles=True)
    assert counts == {'all': 6}
    init_default_scope('mmseg')

    def fold(tiles):
        return DubaiAerialDataset(
            data_root=str(tmp_path / 'out'),
            tiles=tiles,
            metainfo=dict(classes=DUBAI_EVAL_CLASSES),
            data_prefix=dict(img_path='img_dir/all', seg_map_path='ann_dir/all'),
            pipeline=[dict(type='LoadAnnotations'),
                      dict(type='CheckLabelRange', num_classes=5)])

    test = fold([3])
    assert [osp.basename(test.get_data_info(i)['img_path'])[:6] for i in range(len(test))] == \
        ['tile3_'] * 2
    assert len(fold([1, 2])) == 4
    expected = truth['tile3_image_part_001'].copy()
    expected[expected == 5] = 255  # 'unlabeled' is not a class of the v2 protocol
    assert np.array_equal(test[0]['gt_seg_map'], expected)
    with pytest.raises(FileNotFoundError, match=r'no image of tiles \(7,\)'):
        fold([7])
    # The probes read the original layout the same way, at one scale.
    samples = load_dubai_tiles(str(tmp_path / 'src'), tiles=(3, ), scale=1.0)
    assert [s['tile'] for s in samples] == [3, 3]
    assert np.array_equal(samples[0]['label'], expected)
    half = load_dubai_tiles(str(tmp_path / 'src'), tiles=(3, ), scale=0.5)
    assert half[0]['label'].shape == (10, 15) and half[0]['img'].shape == (10, 15, 3)
