"""Label maps that follow each pretraining view, for the oracle samplers (diagnostics only).

The oracle samplers (:mod:`grass_mm.models.utils.oracle`) place boxes by the ground truth, so the
label map of every view must see exactly the geometric transforms of its image (crop, resize,
flip) and none of the colour ones. Three transforms do that with the draws of the unlabelled
pipeline unchanged, so a labelled arm sees byte-identical images to its unlabelled twins:

- :class:`LoadViewLabel` reads the label map beside each image (or marks the image unlabelled);
- :class:`LabelledRandomResizedCrop` cuts the label with the image's own crop (nearest);
- :class:`LabelledMultiView` keeps each view's label as ``view_labels`` ``[V, H, W]`` for
  ``PackInputs(algorithm_keys=['view_labels'])``.

mmcv's ``RandomFlip`` already flips ``gt_seg_map`` with the image; colour transforms leave it.
"""
import copy
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.registry import TRANSFORMS
from mmpretrain.datasets.transforms import MultiView, RandomResizedCrop

IGNORE_INDEX = 255


@TRANSFORMS.register_module()
class LoadViewLabel(BaseTransform):
    """Load the label map of an image found by a path rule, as ``gt_seg_map`` (uint8).

    An image whose path has no ``/<img_dir>/`` folder is unlabelled (e.g. the Dubai pretraining
    data's ``aerial_unlabeled`` scenes): its map is all ``ignore_index``. An image that has the
    folder but no label file is an error, never silently unlabelled.

    Args:
        img_dir (str): The images' folder name, replaced by ``label_dir`` to find the label.
        label_dir (str): The label maps' folder name.
        suffix (str): The label maps' file extension.
        decode (str): ``'index'`` (a single-channel map of class indices) or ``'dubai_rgb'``
            (the Dubai set's colour-coded masks, :func:`~grass_mm.datasets.rgb_mask_to_index`).
        ignore_labels (Sequence[int]): Classes read as unlabelled (e.g. Dubai's 'unlabeled', 5).
    """

    def __init__(self,
                 img_dir: str = 'images',
                 label_dir: str = 'masks',
                 suffix: str = '.png',
                 decode: str = 'index',
                 ignore_labels: Sequence[int] = ()) -> None:
        if decode not in ('index', 'dubai_rgb'):
            raise ValueError(f"LoadViewLabel: decode must be 'index' or 'dubai_rgb', got "
                             f'{decode!r}')
        self.img_dir, self.label_dir, self.suffix = img_dir, label_dir, suffix
        self.decode = decode
        self.ignore_labels = tuple(ignore_labels)

    def label_path(self, img_path: str) -> Optional[str]:
        """The label file of ``img_path``, or None for an image outside any ``img_dir``."""
        parts = img_path.split(osp.sep)
        if self.img_dir not in parts[:-1]:
            return None
        i = len(parts) - 2 - parts[:-1][::-1].index(self.img_dir)  # the innermost one
        parts[i] = self.label_dir
        parts[-1] = osp.splitext(parts[-1])[0] + self.suffix
        return osp.sep.join(parts)

    def transform(self, results: dict) -> dict:
        shape = results['img'].shape[:2]
        path = self.label_path(results['img_path'])
        if path is None:
            results['gt_seg_map'] = np.full(shape, IGNORE_INDEX, np.uint8)
            return results
        if not osp.isfile(path):
            raise FileNotFoundError(f"{results['img_path']}: no label map at {path}")
        if self.decode == 'dubai_rgb':
            from grass_mm.datasets.dubai_aerial import rgb_mask_to_index
            raw = mmcv.imread(path, flag='color', channel_order='rgb')
            label = None if raw is None else rgb_mask_to_index(raw, path)
        else:
            label = mmcv.imread(path, flag='unchanged')
        if label is None or label.ndim != 2 or label.shape != shape:
            got = None if label is None else label.shape
            raise ValueError(f'{path}: expected a {shape} label map for '
                             f"{results['img_path']}, got {got}")
        label = label.astype(np.uint8)
        if self.ignore_labels:
            label[np.isin(label, self.ignore_labels)] = IGNORE_INDEX
        results['gt_seg_map'] = label
        return results


@TRANSFORMS.register_module()
class LabelledRandomResizedCrop(RandomResizedCrop):
    """mmpretrain's ``RandomResizedCrop`` that cuts ``gt_seg_map`` with the image's crop.

    The crop is drawn once, by the parent's own rule and random calls, so the image is exactly
    the parent's; the label is cropped there and resized with nearest interpolation.
    """

    def rand_crop_params(self, img: np.ndarray):
        # Remember the parent's draw for the label (one transform call per worker at a time).
        self._last_params = super().rand_crop_params(img)
        return self._last_params

    def transform(self, results: dict) -> dict:
        label = results.get('gt_seg_map')
        if label is not None and label.shape != results['img'].shape[:2]:
            raise ValueError(f"{results.get('img_path', '<image>')}: label map "
                             f"{label.shape} does not fit the image {results['img'].shape[:2]}")
        results = super().transform(results)
        if label is not None:
            top, left, height, width = self._last_params
            label = label[top:top + height, left:left + width]
            results['gt_seg_map'] = mmcv.imresize(
                label, tuple(self.scale[::-1]), interpolation='nearest', backend=self.backend)
        return results


@TRANSFORMS.register_module()
class LabelledMultiView(MultiView):
    """mmpretrain's ``MultiView`` that also keeps each view's ``gt_seg_map``.

    Adds ``view_labels``: a uint8 tensor ``[V, H, W]`` (view order as ``img``).
    """

    def transform(self, results: dict) -> dict:
        images, labels = [], []
        for trans in self.transforms:
            outputs = trans(copy.deepcopy(results))  # as MultiView does
            images.append(outputs['img'])
            if outputs.get('gt_seg_map') is None:
                raise KeyError(f"{results.get('img_path', '<image>')}: no gt_seg_map after "
                               'the view pipeline; put LoadViewLabel before LabelledMultiView')
            labels.append(torch.from_numpy(np.ascontiguousarray(outputs['gt_seg_map'])))
        results.pop('gt_seg_map', None)
        results['img'] = images
        results['view_labels'] = torch.stack(labels)
        return results
