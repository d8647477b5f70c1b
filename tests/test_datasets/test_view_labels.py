"""View labels: each view's label map sees its image's crop, resize and flip, and the draws of
the unlabelled pipeline stay exactly the same."""
import os.path as osp
import random

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import BaseTransform
from mmengine.registry import TRANSFORMS, init_default_scope

import grass_mm  # noqa: F401  (registers the transforms)
from grass_mm.datasets.dubai_aerial import DUBAI_PALETTE
from tests.helpers import REPO

PALETTE = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)


def write_scene(root: str, name: str = 'part_1', size=(90, 120)) -> str:
    """An image whose colours *are* its labels (four quadrants-and-stripes classes, asymmetric
    under flips), and its index label map beside it: images/<name>.png, masks/<name>.png."""
    h, w = size
    label = np.zeros(size, np.uint8)
    label[:, w // 3:] = 1
    label[h // 2:, :w // 4] = 2
    label[h // 5:h // 5 + 9, :] = 3
    for sub in ('images', 'masks'):
        (root / sub).mkdir(exist_ok=True)
    cv2.imwrite(str(root / 'images' / f'{name}.png'), PALETTE[label][..., ::-1])
    cv2.imwrite(str(root / 'masks' / f'{name}.png'), label)
    return str(root / 'images' / f'{name}.png')


@TRANSFORMS.register_module()
class _FlipImageOnly(BaseTransform):
    """A broken geometric transform: flips the image and forgets the label."""

    def transform(self, results):
        results['img'] = results['img'][:, ::-1].copy()
        return results


def pipeline(view, labelled=True):
    init_default_scope('mmpretrain')
    from mmengine.dataset import Compose
    steps = [dict(type='LoadImageFromFile')]
    if labelled:
        steps.append(dict(type='LoadViewLabel'))
    steps += [
        dict(type='LabelledMultiView' if labelled else 'MultiView', num_views=2, transforms=[view]),
        dict(type='PackInputs', algorithm_keys=['view_labels'])
    ]
    return Compose(steps)


def crop(labelled=True, **kw):
    return dict(
        dict(
            type='LabelledRandomResizedCrop' if labelled else 'RandomResizedCrop',
            scale=48,
            crop_ratio_range=(0.2, 1.0),
            backend='pillow'), **kw)


def seed_all(seed: int) -> None:
    """Every generator a transform may draw from (as a dataloader worker's seeding does)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def assert_label_follows(packed) -> None:
    """Each view's label is its image's colour code, up to resampling at class borders."""
    for view, label in zip(packed['inputs'], packed['data_samples'].view_labels):
        rgb = view.permute(1, 2, 0).numpy()[..., ::-1].astype(int)  # BGR -> RGB
        decoded = np.abs(rgb[:, :, None] - PALETTE[None, None].astype(int)).sum(-1).argmin(-1)
        agree = (decoded == label.numpy()).mean()
        assert agree > 0.93, f'the label agrees with its view on {agree:.0%} of the pixels'


@pytest.mark.parametrize('seed', range(6))
def test_the_label_follows_crop_resize_and_flip(tmp_path, seed):
    path = write_scene(tmp_path)
    np.random.seed(seed)
    packed = pipeline([crop(), dict(type='RandomFlip', prob=0.5)])(dict(img_path=path))
    assert packed['data_samples'].view_labels.shape == (2, 48, 48)
    assert packed['data_samples'].view_labels.dtype == torch.uint8
    assert_label_follows(packed)


def test_a_label_that_misses_a_flip_fails_the_check(tmp_path):
    path = write_scene(tmp_path)
    np.random.seed(0)
    packed = pipeline([crop(crop_ratio_range=(1.0, 1.0)),
                       dict(type='_FlipImageOnly')])(
                           dict(img_path=path))
    with pytest.raises(AssertionError, match='agrees with its view'):
        assert_label_follows(packed)


def test_colour_transforms_leave_the_label_and_the_draws_match_the_unlabelled_pipeline(tmp_path):
    path = write_scene(tmp_path)
    # The flip and colour transforms of the pretraining recipe, as its base config names them.
    from mmengine.config import Config
    recipe = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'rs_pretrain_128.py'))
    colour = [
        recipe.random_flip, recipe.color_jitter, recipe.random_grayscale, recipe.gaussian_blur
    ]
    for seed in range(4):
        seed_all(seed)
        ours = pipeline([crop()] + colour)(dict(img_path=path))
        seed_all(seed)
        plain = pipeline([crop(labelled=False)] + colour, labelled=False)(dict(img_path=path))
        # The same random draws: the views a labelled arm trains on are its twins' exactly.
        assert all(torch.equal(a, b) for a, b in zip(ours['inputs'], plain['inputs']))
        # The first view's crop and flip are the first draws in both pipelines: without the
        # colour transforms its label is the same.
        seed_all(seed)
        geometry = pipeline([crop(), colour[0]])(dict(img_path=path))
        assert torch.equal(ours['data_samples'].view_labels[0],
                           geometry['data_samples'].view_labels[0])


def test_load_view_label_rules_and_bad_files(tmp_path):
    from grass_mm.datasets.transforms import LoadViewLabel
    path = write_scene(tmp_path)
    image = cv2.imread(path)
    load = LoadViewLabel()
    assert load.label_path(path) == str(tmp_path / 'masks' / 'part_1.png')
    # Outside any images/ folder: unlabelled, all 255.
    other = tmp_path / 'scenes'
    other.mkdir()
    cv2.imwrite(str(other / 'scene.png'), image)
    out = load(dict(img=image, img_path=str(other / 'scene.png')))
    assert (out['gt_seg_map'] == 255).all() and out['gt_seg_map'].shape == image.shape[:2]
    # An image in images/ without its label is an error naming both files, never unlabelled.
    lonely = write_scene(tmp_path, 'part_2')
    (tmp_path / 'masks' / 'part_2.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'part_2\.png: no label map at .*masks'):
        load(dict(img=image, img_path=lonely))
    # A label of another size is named with both shapes.
    cv2.imwrite(str(tmp_path / 'masks' / 'part_2.png'), np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match=r'part_2\.png: expected a \(90, 120\) label map'):
        load(dict(img=image, img_path=lonely))
    with pytest.raises(ValueError, match="decode must be 'index' or 'dubai_rgb'"):
        LoadViewLabel(decode='rgb')


def test_dubai_colour_masks_decode_and_ignore_a_class(tmp_path):
    from grass_mm.datasets.transforms import LoadViewLabel
    (tmp_path / 'images').mkdir()
    (tmp_path / 'masks').mkdir()
    index = np.array([[0, 1, 2], [3, 4, 5]], np.uint8)
    colours = np.array(DUBAI_PALETTE, np.uint8)[index]
    cv2.imwrite(str(tmp_path / 'masks' / 'a.png'), colours[..., ::-1])
    img_path = osp.join(tmp_path, 'images', 'a.jpg')
    out = LoadViewLabel(
        decode='dubai_rgb', ignore_labels=[5])(
            dict(img=np.zeros((2, 3, 3), np.uint8), img_path=img_path))
    assert out['gt_seg_map'].tolist() == [[0, 1, 2], [3, 4, 255]]
