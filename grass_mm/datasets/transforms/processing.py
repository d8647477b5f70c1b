"""Transforms that wrap others."""
from typing import List, Optional

from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RGBOnly(BaseTransform):
    """Apply ``transforms`` (colour jitter, grayscale, ...) to 3-band images only.

    Augmentations that assume RGB are skipped for images of another band count, and the reason
    is logged once, so one pipeline serves RGB and multispectral data.

    Args:
        transforms (list[dict]): The RGB-only transforms.
    """

    def __init__(self, transforms: List[dict]) -> None:
        from mmcv.transforms import Compose
        self.transforms = Compose(transforms)
        self.names = [t['type'] if isinstance(t, dict) else type(t).__name__ for t in transforms]
        self.warned = False

    def transform(self, results: dict) -> Optional[dict]:
        bands = results['img'].shape[2] if results['img'].ndim == 3 else 1
        if bands == 3:
            return self.transforms(results)
        if not self.warned:
            print_log(
                f'RGBOnly: {bands}-band images; skipping {self.names}, which assume RGB',
                logger='current')
            self.warned = True
        return results
