"""Loading GeoTIFF images and label maps window by window (rasterio), for mmpretrain and mmseg
pipelines (registered in mmengine's root ``TRANSFORMS``)."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.registry import TRANSFORMS

from ..raster import open_geotiff, read_window


@TRANSFORMS.register_module()
class LoadGeoTIFF(BaseTransform):
    """Load ``results['img_path']`` as a float32 ``[H, W, B]`` image with rasterio.

    Works in mmpretrain and mmseg pipelines (registered in mmengine's root registry). With
    ``crop_size`` only a random window of that size is read from the scene, and the window is
    left in ``results['geotiff_window']`` for :class:`LoadGeoTIFFAnnotation` to read the same
    pixels. Nodata follows GDAL's dataset mask (:mod:`grass_mm.datasets.raster`): a pixel is
    invalid only where all bands are nodata (or the alpha band / internal mask says so), and is
    marked in ``results['valid_mask']``; a band at its nodata value in a valid pixel is a hole in
    that band only. Both are set to ``fill_value``; standardised values are never clipped
    downstream.

    Args:
        bands (Sequence[int], optional): 0-based band indices to keep; all by default.
        nodata (float, optional): Nodata value overriding the file's.
        fill_value (float): Value written into invalid pixels. Defaults to 0.
        crop_size (int | tuple, optional): ``(h, w)`` window read at a random place (scenes
            smaller than it are read whole).
    """

    def __init__(self,
                 bands: Optional[Sequence[int]] = None,
                 nodata: Optional[float] = None,
                 fill_value: float = 0.0,
                 crop_size=None) -> None:
        self.bands = None if bands is None else list(bands)
        self.nodata = nodata
        self.fill_value = fill_value
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        self.crop_size = None if crop_size is None else tuple(crop_size)

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        window = results.get('geotiff_window')
        if window is None and self.crop_size is not None:
            with open_geotiff(path) as src:
                height, width = src.height, src.width
            h, w = min(self.crop_size[0], height), min(self.crop_size[1], width)
            y = np.random.randint(0, height - h + 1)
            x = np.random.randint(0, width - w + 1)
            window = (int(x), int(y), int(w), int(h))
        img, masks = read_window(path, window, self.bands, self.nodata)
        img = img.astype(np.float32)
        img[~masks] = self.fill_value  # band holes and invalid pixels alike
        results.update(
            img=img,
            img_shape=img.shape[:2],
            ori_shape=img.shape[:2],
            valid_mask=masks.any(-1),
            geotiff_window=window)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(bands={self.bands}, nodata={self.nodata}, '
                f'fill_value={self.fill_value}, crop_size={self.crop_size})')


@TRANSFORMS.register_module()
class LoadGeoTIFFAnnotation(BaseTransform):
    """Load ``results['seg_map_path']`` (band 1 of a GeoTIFF) as ``gt_seg_map``.

    Reads the image's window when :class:`LoadGeoTIFF` read one. Pixels that are nodata in the
    label file or invalid in the image become ``ignore_index``.

    Args:
        ignore_index (int): Label of ignored pixels. Defaults to 255.
    """

    def __init__(self, ignore_index: int = 255) -> None:
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        label, masks = read_window(path, results.get('geotiff_window'), bands=[0])
        valid = masks[..., 0]
        label = label[..., 0].astype(np.uint8)
        if label.shape != results['img'].shape[:2]:
            raise ValueError(f'{path}: label {label.shape} does not match the image '
                             f'{results["img_path"]} {results["img"].shape[:2]}')
        invalid = ~valid
        if 'valid_mask' in results:
            invalid |= ~results['valid_mask']
        label[invalid] = self.ignore_index
        results['gt_seg_map'] = label
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results
