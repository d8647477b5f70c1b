"""Shared checks of grass_mm's segmentation datasets."""
from typing import List

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets import BaseSegDataset
from mmseg.registry import TRANSFORMS


class CheckedSegDataset(BaseSegDataset):
    """``BaseSegDataset`` that refuses an image folder with no image instead of training on
    nothing (an empty training set would make mmengine's ``InfiniteSampler`` spin forever)."""

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(
                f"{type(self).__name__}: no '*{self.img_suffix}' image in "
                f"{self.data_prefix.get('img_path')!r} (data_root={self.data_root!r})")
        return data_list


@TRANSFORMS.register_module()
class CheckLabelRange(BaseTransform):
    """Fail on label values outside ``[0, num_classes)`` that are not ``ignore_index``.

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
        values = np.unique(results['gt_seg_map'])
        bad = values[(values >= self.num_classes) & (values != self.ignore_index)]
        if bad.size:
            raise ValueError(f"{results.get('seg_map_path')}: label values {bad.tolist()} are "
                             f'outside 0..{self.num_classes - 1} (ignore_index '
                             f'{self.ignore_index}); wrong num_classes or an unconverted mask?')
        return results
