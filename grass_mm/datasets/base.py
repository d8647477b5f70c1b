"""Shared checks of grass_mm's segmentation datasets."""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.registry import TRANSFORMS
from mmseg.datasets import BaseSegDataset
from mmseg.datasets.transforms import LoadAnnotations as MMSegLoadAnnotations


class CheckedSegDataset(BaseSegDataset):
    """``BaseSegDataset`` that refuses an image folder with no image instead of training on
    nothing (an empty training set would make mmengine's ``InfiniteSampler`` spin forever), and
    a label map whose size differs from its image's when the dataset is built (from the files'
    headers), so a validation set fails before training starts, not after it, and a probe never
    resizes a label silently."""

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(
                f"{type(self).__name__}: no '*{self.img_suffix}' image in "
                f"{self.data_prefix.get('img_path')!r} (data_root={self.data_root!r})")
        for info in data_list:
            check_sizes(info['img_path'], info.get('seg_map_path'))
        return data_list


def check_sizes(img_path: str, seg_map_path: Optional[str]) -> None:
    """Refuse a label map whose width and height differ from its image's (headers only).

    Raises:
        ValueError: naming both files and both sizes.
    """
    if not seg_map_path or not osp.isfile(seg_map_path) or not osp.isfile(img_path):
        return  # a missing file is named by the loader
    from PIL import Image
    try:
        with Image.open(img_path) as img, Image.open(seg_map_path) as seg:
            if img.size != seg.size:
                raise ValueError(f'{seg_map_path}: label map of {seg.size[0]}x{seg.size[1]} px '
                                 f'for the image {img_path} of {img.size[0]}x{img.size[1]} px; '
                                 'a label map must be the size of its image')
    except (OSError, SyntaxError):
        return  # unreadable headers: the loader names the file


@TRANSFORMS.register_module()
class CheckLabelRange(BaseTransform):
    """Fail on label values outside ``[0, num_classes)`` that are not ``ignore_index``, and on a
    label map of another size than its image (both files named).

    mmseg trains on them silently until the loss meets one (an index error naming no file) and
    ``IoUMetric`` drops them from the counts; this names the label file and the values. Put it
    right after ``LoadAnnotations``.

    Args:
        num_classes (int): Number of classes.
        ignore_index (int): The label meaning "not labelled". Defaults to 255.
    """

    def __init__(self, num_classes: int, ignore_index: int = 255) -> None:
        self.num_classes, self.ignore_index = num_classes, ignore_index

    def transform(self, results: dict) -> dict:
        check_loaded_sizes(results)
        values = np.unique(results['gt_seg_map'])
        bad = values[(values >= self.num_classes) & (values != self.ignore_index)]
        if bad.size:
            raise ValueError(f"{results.get('seg_map_path')}: label values {bad.tolist()} are "
                             f'outside 0..{self.num_classes - 1} (ignore_index '
                             f'{self.ignore_index}); wrong num_classes or an unconverted mask?')
        return results


class LoadAnnotations(MMSegLoadAnnotations):
    """mmseg's ``LoadAnnotations`` that names the label map it cannot read, and refuses one of
    another size than its image.

    mmseg would go on with the pair until a crop or ``torch.stack`` fails with a message that names
    no file; this names both. It replaces ``LoadAnnotations`` in mmseg's registry when grass_mm is
    imported (:mod:`grass_mm.replacements`; configs unchanged); every mmseg dataset's pipeline loads
    the image first, so the sizes are compared at once.
    """

    def transform(self, results: dict) -> dict:
        try:
            results = super().transform(results)
        except (OSError, ValueError, TypeError) as err:
            # PIL/cv2 on a corrupt file say "cannot identify image file <_io.BytesIO ...>".
            raise ValueError(f"{results.get('seg_map_path')}: the label map cannot be read "
                             f'({type(err).__name__}: {err}); is it a corrupt or truncated '
                             'image?') from err
        check_loaded_sizes(results)
        return results


def check_loaded_sizes(results: dict) -> None:
    """Refuse a just-loaded label map whose size differs from its image's *as loaded*.

    The image's loaded size is ``ori_shape`` (``LoadImageFromFile`` sets it): mmseg's test
    pipelines resize the image before they load the label, at its original size.

    Raises:
        ValueError: naming both files and both sizes.
    """
    seg = results.get('gt_seg_map')
    shape = results.get('ori_shape')
    if shape is None and results.get('img') is not None:
        shape = results['img'].shape[:2]
    if seg is not None and shape is not None and seg.shape[:2] != tuple(shape[:2]):
        raise ValueError(f"{results.get('seg_map_path')}: label map of {seg.shape[:2]} for "
                         f"the image {results.get('img_path')} of {tuple(shape[:2])} (height, "
                         'width); a label map must be the size of its image')
