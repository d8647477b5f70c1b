"""Bad input, one case per test, on real files the tests write: a clear error naming the file or
key and what was expected, or the documented fallback; never a silent wrong result or a lost
checkpoint. Cases covered elsewhere are listed at the end."""
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS as PRETRAIN_DATASETS
from mmpretrain.registry import HOOKS, MODELS
from mmseg.registry import DATASETS as SEG_DATASETS
from mmseg.registry import HOOKS as SEG_HOOKS
from mmseg.registry import METRICS

from grass_mm.datasets import generate_synthetic_aerial
from tests.helpers import GRASS_SYNTHETIC, REPO, tiny_grass_cfg, tool_env, write_multiband_tiff

SEG_SYNTHETIC = osp.join(REPO, 'configs', 'benchmarks', 'synthetic',
                         'fcn_r18-d8_1xb8-400i_synthetic-128x128.py')


def pretrain_dataset(folder):
    """The synthetic GraSS config's own pretraining dataset (128 px views) on ``folder``."""
    cfg = Config.fromfile(GRASS_SYNTHETIC).train_dataloader.dataset
    cfg.data_root = str(folder)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return PRETRAIN_DATASETS.build(cfg)


def seg_dataset(root, split='train'):
    cfg = Config.fromfile(SEG_SYNTHETIC)[f'{split}_dataloader'].dataset
    cfg.data_root = str(root)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return SEG_DATASETS.build(cfg)


def test_truncated_image_names_the_file(tmp_path):
    good = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / 'a.png'), good)
    data = (tmp_path / 'a.png').read_bytes()
    (tmp_path / 'b.png').write_bytes(data[:len(data) // 3])
    dataset = pretrain_dataset(tmp_path)
    index = [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(2)].index('b.png')
    with pytest.raises(AssertionError, match=r'failed to load image: .*b\.png'):
        dataset[index]


@pytest.mark.parametrize('kind, array', [
    ('gray', np.full((64, 80), 90, np.uint8)),
    ('rgba', np.full((64, 80, 4), 90, np.uint8)),
])
def test_grayscale_and_rgba_become_8bit_colour_views(tmp_path, kind, array):
    # Documented fallback (docs/en/notes/faq.md): OpenCV's colour read replicates gray and drops
    # alpha; tools/dataset_converters/make_patches.py refuses them unless --convert.
    cv2.imwrite(str(tmp_path / f'{kind}.png'), array)
    dataset = pretrain_dataset(tmp_path)
    load = dataset.pipeline.transforms[0]  # the config's LoadImageFromFile
    image = load(dict(img_path=str(tmp_path / f'{kind}.png')))['img']
    assert image.shape == (64, 80, 3) and image.dtype == np.uint8 and (image == 90).all()
    assert [tuple(v.shape) for v in dataset[0]['inputs']] == [(3, 128, 128)] * 2


@pytest.mark.parametrize('name, array, said', [
    ('twelve_bit.png', np.full((64, 80, 3), 4095, np.uint16), '16-bit image'),
    ('gray16.png', np.full((64, 80), 4095, np.uint16), '16-bit image'),
    ('deep.tif', np.full((64, 80, 3), 4095, np.uint16), '16-bit image'),
    ('float.tif', np.full((64, 80), 0.5, np.float32), '32-bit float image'),
])
def test_images_deeper_than_8_bits_are_refused_with_the_way_to_convert(tmp_path, name, array, said):
    # OpenCV's colour read would divide by 256: 12-bit data (0..4095) would load as 0..15.
    assert cv2.imwrite(str(tmp_path / name), array)
    dataset = pretrain_dataset(tmp_path)
    with pytest.raises(ValueError, match=rf'{name}: {said}.*make_patches.py SRC OUT --convert'):
        dataset[0]


def test_an_empty_image_file_is_named(tmp_path):
    (tmp_path / 'empty.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty\.png: empty file \(0 bytes\)'):
        pretrain_dataset(tmp_path)[0]
    from mmseg.registry import TRANSFORMS
    with pytest.raises(ValueError, match=r'empty\.png: empty file'):  # mmseg's pipelines too
        TRANSFORMS.build(dict(type='LoadImageFromFile'))(dict(img_path=str(tmp_path / 'empty.png')))


def test_multiband_tiff_names_the_file(tmp_path):
    write_multiband_tiff(str(tmp_path / 'ms.tif'), np.full((32, 32, 5), 7,
                                                           np.uint8))  # e.g. RGB + NIR + red edge
    with pytest.raises(AssertionError, match=r'failed to load image: .*ms\.tif'):
        pretrain_dataset(tmp_path)[0]


def test_images_smaller_than_the_crop_are_upsampled(tmp_path):
    # Pretraining: RandomResizedCrop resizes any crop to the view size.
    cv2.imwrite(str(tmp_path / 'small.png'), np.full((20, 30, 3), 50, np.uint8))
    assert [tuple(v.shape) for v in pretrain_dataset(tmp_path)[0]['inputs']] == [(3, 128, 128)] * 2
    # Segmentation: RandomResize to the 512 px scale runs before the 128 px crop.
    root = generate_synthetic_aerial(str(tmp_path / 'seg'), num_train=2, num_val=1, size=40)
    sample = seg_dataset(root)[0]
    assert tuple(sample['inputs'].shape) == (3, 128, 128)
    assert tuple(sample['data_samples'].gt_sem_seg.data.shape) == (1, 128, 128)


def test_empty_and_missing_folders_name_the_folder(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(RuntimeError, match='Found 0 files in .*empty'):
        pretrain_dataset(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='nowhere'):
        pretrain_dataset(tmp_path / 'nowhere')
    os.makedirs(tmp_path / 'seg' / 'img_dir' / 'train')
    os.makedirs(tmp_path / 'seg' / 'ann_dir' / 'train')
    with pytest.raises(FileNotFoundError, match=r"SyntheticAerialDataset: no '\*\.png' image in"):
        seg_dataset(tmp_path / 'seg')
    with pytest.raises(FileNotFoundError, match='missing'):
        seg_dataset(tmp_path / 'missing')


def test_label_values_outside_the_classes_name_the_label_file(tmp_path):
    root = generate_synthetic_aerial(str(tmp_path / 'seg'), num_train=1, num_val=1, size=64)
    label = osp.join(root, 'ann_dir', 'train',
                     sorted(os.listdir(osp.join(root, 'ann_dir', 'train')))[0])
    mask = cv2.imread(label, cv2.IMREAD_UNCHANGED)
    mask[:4, :4] = 255  # ignore_index: allowed
    cv2.imwrite(label, mask)
    seg_dataset(root)[0]
    mask[:4, :4] = 7  # the synthetic set has 5 classes
    cv2.imwrite(label, mask)
    with pytest.raises(
            ValueError, match=rf'{osp.basename(label)}: label values \[7\] are '
            r'outside 0\.\.4'):
        seg_dataset(root)[0]


@pytest.mark.parametrize('path', ['load_from', 'resume', 'init_cfg'])
def test_a_file_that_is_not_a_checkpoint_is_named_on_every_loading_path(
        synthetic_root, tmp_path, path):
    notes = tmp_path / 'notes.pth'
    notes.write_text('my notes, not weights\n')
    cfg = tiny_grass_cfg(synthetic_root, str(tmp_path / 'work'), max_epochs=1)
    cfg.experiment_name = f'not_a_checkpoint_{path}'
    if path == 'init_cfg':
        cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(notes))
    else:
        cfg.load_from, cfg.resume = str(notes), path == 'resume'
    with pytest.raises(
            RuntimeError, match=f'could not read checkpoint {notes}: it is not a '
            'torch checkpoint'):
        Runner.from_cfg(cfg).train()
    assert notes.read_text() == 'my notes, not weights\n'  # the user's file is untouched


@pytest.mark.parametrize('registry, cfg, key', [
    (MODELS, dict(type='GraSS', backbone={}, neck={}, head={},
                  treshold_ratio=0.5), 'treshold_ratio'),
    (HOOKS, dict(type='GraSSStageHook', warmup=3), 'warmup'),
    (HOOKS, dict(type='GraSSVisualizationHook', every=3), 'every'),
    (HOOKS, dict(type='DenseProbeHook', train_split={}, test_split={}, intervl=3), 'intervl'),
    (SEG_HOOKS, dict(type='PretrainedCheckHook', module=['backbone']), 'module'),
    (METRICS, dict(type='PerClassIoUMetric', iou_metric=['mIoU']), 'iou_metric'),
    (SEG_DATASETS, dict(type='LabelFraction', dataset={}, fractoin=0.1), 'fractoin'),
    (SEG_DATASETS, dict(type='DubaiAerialDataset', data_roots='x'), 'data_roots'),
])
def test_unknown_config_keys_of_our_components_are_named(registry, cfg, key):
    with DefaultScope.overwrite_default_scope(registry.scope):
        with pytest.raises(TypeError, match=key):
            registry.build(cfg)


# Covered in other files:
# - NaN loss: test_engine/test_hooks/test_non_finite_loss_hook.py; a checkpoint of another
#   model (load_from, resume): test_engine/test_hooks/test_checkpoint_match_hook.py
# - degenerate gradient maps: test_models/test_selfsup/test_grass.py::
#   test_gs_with_degenerate_maps_trains_on_whole_views, test_models/test_utils/test_regions.py
# - warm-up longer than the schedule: test_engine/test_hooks/test_grass_stage_hook.py
# - missing and truncated checkpoints: test_utils/test_compat.py; missing, mis-shaped or other
#   pretrained backbone files: test_engine/test_hooks/test_pretrained_check_hook.py
# - unreadable, gray/RGBA/16-bit/multi-band images in make_patches:
#   test_datasets/test_patches.py


def test_the_removed_knn_probe_names_its_replacement():
    with DefaultScope.overwrite_default_scope(HOOKS.scope):
        with pytest.raises(TypeError, match=r'KNNProbeHook was removed.*DenseProbeHook\('):
            HOOKS.build(dict(type='KNNProbeHook', data_root='data/synthetic_aerial'))


def test_a_label_map_of_another_size_is_named_before_training(tmp_path):
    root = generate_synthetic_aerial(str(tmp_path / 'seg'), num_train=2, num_val=1, size=40)
    labels = sorted(os.listdir(osp.join(root, 'ann_dir', 'val')))
    bad = osp.join(root, 'ann_dir', 'val', labels[0])
    cv2.imwrite(bad, np.zeros((30, 40), np.uint8))
    # Building the validation set (before the first training step, and the probes' splits,
    # which are the same datasets) names both files instead of resizing or failing later.
    with pytest.raises(
            ValueError, match=rf'{labels[0]}: label map of 40x30 px for the image '
            r'.*of 40x40 px'):
        seg_dataset(root, 'val')
    from grass_mm.datasets import CheckLabelRange
    image, label = np.zeros((40, 40, 3), np.uint8), np.zeros((30, 40), np.uint8)
    with pytest.raises(ValueError, match=r'm\.png: label map of \(30, 40\) for the image i\.png'):
        CheckLabelRange(num_classes=3)(
            dict(img=image, gt_seg_map=label, img_path='i.png', seg_map_path='m.png'))


def test_a_label_map_of_another_size_is_named_by_any_mmseg_pipeline(tmp_path):
    # mmseg's own datasets (Potsdam, LoveDA, ...) have no header check: LoadAnnotations names
    # the pair as soon as it loads it, in training or validation.
    from mmengine.dataset import Compose
    img, seg = tmp_path / 'i.png', tmp_path / 'm.png'
    cv2.imwrite(str(img), np.zeros((40, 40, 3), np.uint8))
    cv2.imwrite(str(seg), np.zeros((30, 40), np.uint8))
    info = dict(img_path=str(img), seg_map_path=str(seg), reduce_zero_label=False, seg_fields=[])
    with DefaultScope.overwrite_default_scope('mmseg'):
        # mmseg's test pipelines resize the image before they load the label: still named.
        test = Compose([
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(20, 20), keep_ratio=False),
            dict(type='LoadAnnotations')
        ])
        with pytest.raises(
                ValueError,
                match=r'm\.png: label map of \(30, 40\) for the image '
                r'.*i\.png of \(40, 40\)'):
            test(dict(info))
        cv2.imwrite(str(seg), np.zeros((40, 40), np.uint8))  # the right size, resized image
        assert test(dict(info))['gt_seg_map'].shape == (40, 40)
        seg.write_bytes(seg.read_bytes()[:40])  # truncated: PIL names only a BytesIO
        with pytest.raises(ValueError, match=r'm\.png: the label map cannot be read \('):
            test(dict(info))


def test_tools_test_refuses_a_checkpoint_that_does_not_fit(synthetic_root, tmp_path):
    # A pretraining checkpoint (a backbone, no decode head) given to tools/test.py: an error
    # naming the file and the missing keys, not a score of a half-loaded model.
    from mmseg.apis import init_model
    state = init_model(SEG_SYNTHETIC, None, device='cpu').state_dict()
    ckpt = str(tmp_path / 'grass_epoch_30.pth')
    torch.save(dict(state_dict={k: v for k, v in state.items() if k.startswith('backbone.')}), ckpt)
    result = subprocess.run([
        sys.executable, 'tools/test.py', SEG_SYNTHETIC, ckpt, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', f'test_dataloader.dataset.data_root={synthetic_root}',
        'test_dataloader.num_workers=0'
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            env=tool_env())
    assert result.returncode != 0
    assert re.search(
        r'checkpoint .*grass_epoch_30\.pth does not match the model.*missing '
        r'decode_head\.', result.stderr), result.stderr[-2000:]
