"""GeoTIFF scenes as users hold them: any band count and dtype, nodata, georeference.

Everything reads through ``rasterio`` window by window, so a scene is never loaded whole when only
a patch of it is needed. A pixel is *invalid* where any selected band is masked in the file
(its nodata value, or an internal mask); invalid pixels become the ignore index in labels and
never count in band statistics.
"""
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS

GEOTIFF_SUFFIXES = ('.tif', '.tiff')


def open_geotiff(path: str):
    """``rasterio.open`` with an error that names the file and what was expected."""
    import rasterio
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such GeoTIFF')
    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as err:
        raise ValueError(f'{path}: not a readable GeoTIFF (corrupt, truncated or another '
                         f'format?): {err}') from None


def check_bands(path: str, count: int, bands: Optional[Sequence[int]]) -> List[int]:
    """0-based band indices to read (all by default), checked against the file's ``count``."""
    if bands is None:
        return list(range(count))
    bands = [int(b) for b in bands]
    if not bands or min(bands) < 0 or max(bands) >= count:
        raise ValueError(f'{path}: bands={bands} must be 0-based indices below its {count} bands')
    return bands


def read_window(path: str,
                window: Optional[Tuple[int, int, int, int]] = None,
                bands: Optional[Sequence[int]] = None,
                nodata: Optional[float] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Read a window of a GeoTIFF.

    Args:
        path: The file.
        window: ``(col_off, row_off, width, height)`` in pixels; the whole scene by default.
        bands: 0-based band indices; all by default.
        nodata: Nodata value to use instead of the file's (for files that do not declare one).

    Returns:
        ``[H, W, B]`` array in the file's dtype, and the ``[H, W]`` bool mask of valid pixels.
    """
    from rasterio.windows import Window
    with open_geotiff(path) as src:
        indexes = [b + 1 for b in check_bands(path, src.count, bands)]
        win = None if window is None else Window(*window)
        try:
            data = src.read(indexes, window=win)  # [B, H, W]
            if nodata is not None:
                valid = (data != nodata).all(axis=0)
            else:
                valid = (src.read_masks(indexes, window=win) > 0).all(axis=0)
        except Exception as err:  # GDAL reports truncated tiles as generic read errors
            raise ValueError(f'{path}: could not read window {window} (corrupt or truncated '
                             f'GeoTIFF?): {err}') from None
    return np.ascontiguousarray(data.transpose(1, 2, 0)), valid


@TRANSFORMS.register_module()
class LoadGeoTIFF(BaseTransform):
    """Load ``results['img_path']`` as a float32 ``[H, W, B]`` image with rasterio.

    Works in mmpretrain and mmseg pipelines (registered in mmengine's root registry). With
    ``crop_size`` only a random window of that size is read from the scene, and the window is
    left in ``results['geotiff_window']`` for :class:`LoadGeoTIFFAnnotation` to read the same
    pixels. Invalid pixels (nodata) are set to ``fill_value`` and marked in
    ``results['valid_mask']``; standardised values are never clipped downstream.

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
        img, valid = read_window(path, window, self.bands, self.nodata)
        img = img.astype(np.float32)
        img[~valid] = self.fill_value
        results.update(
            img=img,
            img_shape=img.shape[:2],
            ori_shape=img.shape[:2],
            valid_mask=valid,
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
        label, valid = read_window(path, results.get('geotiff_window'), bands=[0])
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


def find_geotiffs(folder: str) -> List[str]:
    """Every ``.tif``/``.tiff`` under ``folder``, sorted."""
    found = []
    for root, _, files in os.walk(folder):
        found += [osp.join(root, f) for f in files if f.lower().endswith(GEOTIFF_SUFFIXES)]
    return sorted(found)


def window_starts(length: int, size: int, stride: int) -> List[int]:
    """Window starts along one axis: a regular grid, the last one shifted inside the scene
    (a length below ``size`` gives one window at 0)."""
    starts = list(range(0, max(length - size, 0) + 1, stride))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


def iter_windows(height: int, width: int, size: int,
                 stride: int) -> Iterator[Tuple[int, int, int, int]]:
    """``(col_off, row_off, w, h)`` of a grid of ``size`` windows; the last row and column are
    shifted inside the scene (a scene smaller than ``size`` gives one window, itself)."""
    for y in window_starts(height, size, stride):
        for x in window_starts(width, size, stride):
            yield x, y, min(size, width), min(size, height)


def cut_geotiff_patches(src: str,
                        out_dir: str,
                        patch_size: int = 256,
                        stride: Optional[int] = None,
                        min_valid: float = 0.0,
                        bands: Optional[Sequence[int]] = None) -> List[str]:
    """Cut one GeoTIFF scene into GeoTIFF patches that keep their own georeference.

    Each patch keeps the scene's CRS, dtype and nodata; its transform is the scene's shifted to
    the window. Patches with less than ``min_valid`` valid pixels are skipped.

    Returns:
        The written paths (``<scene>_<row>_<col>.tif``).
    """
    import rasterio
    from rasterio.windows import Window
    stride = stride or patch_size
    os.makedirs(out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(src))[0]
    written = []
    with open_geotiff(src) as scene:
        indexes = [b + 1 for b in check_bands(src, scene.count, bands)]
        profile = scene.profile.copy()
        for x, y, w, h in iter_windows(scene.height, scene.width, patch_size, stride):
            window = Window(x, y, w, h)
            data = scene.read(indexes, window=window)
            valid = (scene.read_masks(indexes, window=window) > 0).all(axis=0)
            if valid.mean() < min_valid or not valid.any():
                continue
            profile.update(
                driver='GTiff',
                width=w,
                height=h,
                count=len(indexes),
                transform=scene.window_transform(window),
                tiled=False,
                compress='deflate')
            profile.pop('blockxsize', None)
            profile.pop('blockysize', None)
            path = osp.join(out_dir, f'{name}_{y}_{x}.tif')
            with rasterio.open(path, 'w', **profile) as dst:
                dst.write(data)
            written.append(path)
    return written


def band_statistics(paths: Sequence[str],
                    bands: Optional[Sequence[int]] = None,
                    nodata: Optional[float] = None,
                    percentiles: Sequence[float] = (1, 99),
                    block: int = 1024,
                    bins: int = 4096) -> Dict[str, list]:
    """Per-band mean, std and percentiles over valid pixels of many scenes, streaming.

    Scenes are read ``block`` × ``block`` pixels at a time; sums are kept in float64 and
    percentiles come from a histogram of ``bins`` bins over each band's range (a first pass reads
    the ranges), so memory does not grow with the data.

    Returns:
        ``mean``, ``std``, ``min``, ``max``, ``count`` (valid pixels) and ``p<q>`` per band.
    """
    if not paths:
        raise ValueError('band_statistics: no GeoTIFF scenes given')

    def blocks() -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        for path in paths:
            with open_geotiff(path) as src:
                height, width = src.height, src.width
            tiles = [(x, y, min(block, width - x), min(block, height - y))
                     for y in range(0, height, block) for x in range(0, width, block)]
            for window in tiles:  # a partition: every pixel counted once
                img, valid = read_window(path, window, bands, nodata)
                yield img.reshape(-1, img.shape[2])[valid.reshape(-1)].astype(np.float64)

    total = sums = squares = lows = highs = None
    for pixels in blocks():
        if total is None:
            n_bands = pixels.shape[1]
            total, sums, squares = 0, np.zeros(n_bands), np.zeros(n_bands)
            lows, highs = np.full(n_bands, np.inf), np.full(n_bands, -np.inf)
        if pixels.shape[1] != len(sums):
            raise ValueError(f'band_statistics: scenes have different band counts '
                             f'({pixels.shape[1]} and {len(sums)})')
        if len(pixels):
            total += len(pixels)
            sums += pixels.sum(0)
            squares += (pixels**2).sum(0)
            lows, highs = np.minimum(lows, pixels.min(0)), np.maximum(highs, pixels.max(0))
    if not total:
        raise ValueError('band_statistics: no valid pixel in the scenes (all nodata?)')
    mean = sums / total
    std = np.sqrt(np.maximum(squares / total - mean**2, 0))
    hist = np.zeros((len(sums), bins))
    edges = [np.linspace(lo, hi if hi > lo else lo + 1, bins + 1) for lo, hi in zip(lows, highs)]
    for pixels in blocks():
        for b in range(len(sums)):
            hist[b] += np.histogram(pixels[:, b], edges[b])[0]
    stats = dict(
        mean=mean.tolist(),
        std=std.tolist(),
        min=lows.tolist(),
        max=highs.tolist(),
        count=int(total))
    for q in percentiles:
        cdf = np.cumsum(hist, axis=1) / total
        stats[f'p{q:g}'] = [
            float(edges[b][min(np.searchsorted(cdf[b], q / 100) + 1, bins)])
            for b in range(len(sums))
        ]
    return stats
