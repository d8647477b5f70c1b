"""The patch cutter on real files written by the tests (and on the real scenes if present)."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from grass_mm.datasets.patches import cut_patches, find_images, read_image
from grass_mm.datasets.windows import window_starts
from tests.helpers import tool_env


def write(path, array):
    assert cv2.imwrite(str(path), array), path
    return str(path)


@pytest.fixture
def rgb(tmp_path):
    rng = np.random.default_rng(0)
    return write(tmp_path / 'scene.png', rng.integers(1, 255, (70, 100, 3), dtype=np.uint8))


def test_window_starts_border_policies():
    assert window_starts(100, 32, 32, 'drop') == [0, 32, 64]
    assert window_starts(100, 32, 32, 'shift') == [0, 32, 64, 68]
    assert window_starts(100, 32, 32, 'pad') == [0, 32, 64, 96]
    assert window_starts(20, 32, 16, 'drop') == [] and window_starts(20, 32, 16, 'pad') == [0]
    assert window_starts(64, 32, 16, 'shift') == [0, 16, 32]


def test_cuts_shifted_patches_that_cover_the_image(rgb, tmp_path):
    out = tmp_path / 'patches'
    counts = cut_patches([rgb], str(out), patch_size=32, border='shift')
    assert counts == dict(images=1, written=3 * 4, existing=0, skipped=0)
    image = cv2.imread(rgb)
    patch = cv2.imread(str(out / 'scene_38_68.png'))  # flush with the bottom-right corner
    assert np.array_equal(patch, image[38:70, 68:100])
    again = cut_patches([rgb], str(out), patch_size=32, border='shift')  # idempotent
    assert again['written'] == 0 and again['existing'] == 12
    from mmpretrain.datasets import CustomDataset
    assert len(CustomDataset(data_root=str(out), with_label=False)) == 12  # manifest ignored


def test_min_valid_skips_no_data_and_padding(tmp_path):
    image = np.full((64, 64, 3), 90, np.uint8)
    image[:, 32:] = 0  # no-data half
    src = write(tmp_path / 'half.png', image)
    counts = cut_patches([src], str(tmp_path / 'a'), patch_size=32, min_valid=0.5)
    assert counts['written'] == 2 and counts['skipped'] == 2
    counts = cut_patches([src], str(tmp_path / 'b'), patch_size=48, border='pad', min_valid=0.3)
    assert counts['written'] == 1  # the top-left patch; the others are mostly padding/no-data


def test_refuses_other_content_and_other_settings(rgb, tmp_path):
    out = tmp_path / 'mine'
    out.mkdir()
    (out / 'notes.txt').write_text('keep')
    with pytest.raises(FileExistsError, match='not empty'):
        cut_patches([rgb], str(out), patch_size=32)
    assert (out / 'notes.txt').read_text() == 'keep'
    cut_patches([rgb], str(tmp_path / 'p'), patch_size=32)
    with pytest.raises(FileExistsError, match='holds patches cut with'):
        cut_patches([rgb], str(tmp_path / 'p'), patch_size=16)


@pytest.mark.parametrize(
    'kind,array,suffix,match',
    [
        ('grayscale', np.full((40, 40), 7, np.uint8), '.png', 'grayscale image'),
        ('rgba', np.full((40, 40, 4), 7, np.uint8), '.png', 'RGBA image'),
        ('16-bit', np.full((40, 40, 3), 700, np.uint16), '.tif', 'uint16 image'),
        ('4-band', np.full((40, 40, 4), 7, np.uint8), '.tif', '4-band image'),  # e.g. RGBIR
    ])
def test_unusual_images_are_rejected_with_the_file_named(tmp_path, kind, array, suffix, match):
    path = write(tmp_path / f'{kind}{suffix}', array)
    with pytest.raises(ValueError, match=f'{kind}{suffix}: .*{match}'):
        read_image(path)


def test_convert_and_bands(tmp_path):
    gray = read_image(write(tmp_path / 'g.png', np.full((8, 8), 9, np.uint8)), convert=True)[0]
    assert gray.shape == (8, 8, 3) and (gray == 9).all()
    rgba = np.full((8, 8, 4), 50, np.uint8)
    rgba[:4, :, 3] = 0
    image, valid = read_image(write(tmp_path / 'a.png', rgba), convert=True)
    assert image.shape == (8, 8, 3) and valid.sum() == 32
    deep = np.arange(8 * 8 * 3, dtype=np.uint16).reshape(8, 8, 3) * 100
    image, _ = read_image(write(tmp_path / 'd.tif', deep), convert=True)
    assert image.dtype == np.uint8 and image.min() == 0 and image.max() == 255
    bands = np.stack([np.full((8, 8), v, np.uint8) for v in (1, 2, 3, 4)], axis=2)
    image, _ = read_image(write(tmp_path / 'm.tif', bands), bands=[3, 1, 0])
    assert image[0, 0].tolist() == [4, 2, 1]


def test_corrupt_and_missing_inputs(tmp_path):
    bad = tmp_path / 'cut.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\n' + b'\0' * 20)
    with pytest.raises(ValueError, match='cut.png: not a readable image'):
        read_image(str(bad))
    with pytest.raises(FileNotFoundError, match='is not a folder'):
        find_images(str(tmp_path / 'nope'))
    with pytest.raises(ValueError, match='no images given'):
        cut_patches([], str(tmp_path / 'out'))


@pytest.mark.slow
def test_tool_on_the_real_unlabelled_scenes(shared_data, tmp_path):
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    out = str(tmp_path / 'patches')
    result = subprocess.run([
        sys.executable, 'tools/dataset_converters/make_patches.py',
        osp.join(shared_data, 'aerial_unlabeled'), out, '--patch-size', '256', '--min-valid', '0.9'
    ],
                            cwd=repo,
                            capture_output=True,
                            text=True,
                            env=tool_env())
    assert result.returncode == 0, result.stderr[-2000:]
    assert '11 images ->' in result.stdout
    patches = [f for f in os.listdir(out) if f.endswith('.png')]
    assert len(patches) > 11 and cv2.imread(osp.join(out, patches[0])).shape == (256, 256, 3)


@pytest.mark.slow
def test_patches_never_feed_on_themselves(rgb, tmp_path):
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    src = tmp_path  # holds scene.png
    # Once, a patch folder inside the source was read back as 12 more sources on every scan.
    cut_patches(find_images(str(src)), str(src / 'patches'), patch_size=32)
    assert find_images(str(src)) == [rgb]  # the folder it wrote (its manifest) is left out
    other = tmp_path.parent / (tmp_path.name + '_elsewhere')
    counts = cut_patches(find_images(str(src)), str(other), patch_size=32)
    assert counts['images'] == 1 and counts['written'] == 12  # not 12 x 13
    # The tool refuses an output folder inside the source, in one line.
    result = subprocess.run([
        sys.executable, 'tools/dataset_converters/make_patches.py',
        str(src),
        str(src / 'more'), '--patch-size', '32'
    ],
                            cwd=repo,
                            capture_output=True,
                            text=True,
                            env=tool_env())
    assert result.returncode == 2 and 'is inside src' in result.stderr
    assert not (src / 'more').exists()


def test_every_bad_file_is_named_and_nothing_partial_is_left(rgb, tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    write(src / 'a_good.png', cv2.imread(rgb))
    (src / 'b_empty.png').write_bytes(b'')  # a zero-byte file
    data = (src / 'a_good.png').read_bytes()
    (src / 'c_truncated.png').write_bytes(data[:len(data) // 4])
    out = tmp_path / 'patches'
    with pytest.raises(ValueError) as err:
        cut_patches(find_images(str(src)), str(out), patch_size=32)
    said = str(err.value)
    assert '2 of 3 images cannot be cut (nothing was written)' in said
    assert 'b_empty.png' in said and 'c_truncated.png' in said and 'a_good.png' not in said
    assert not out.exists()
