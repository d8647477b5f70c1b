"""GeoTIFF scenes as users hold them: any band count and dtype, nodata, georeference.

Everything reads through ``rasterio`` window by window, so a scene is never loaded whole when only
a patch of it is needed.

Which pixels hold data follows GDAL's dataset mask (rasterio's ``dataset_mask()``): a pixel is
*invalid* only where every selected band is masked (each band's nodata value, or the alpha band or
internal mask, which masks all bands alike). A band holding its nodata value in an otherwise valid
pixel is a *band hole*: the pixel is kept, the hole is filled (with a fill value in training, the
band mean in scene inference) and never counts in that band's statistics. Invalid pixels become
the ignore index in labels and nodata in predicted maps. Why not "any band nodata": dark water or
shadow legitimately reads 0 in one band of many products, and on 13-band imagery that rule drops
most of such pixels' labels and punches holes into maps.
"""
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

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


def band_masks(src,
               indexes: Sequence[int],
               window=None,
               nodata: Optional[float] = None,
               data: Optional[np.ndarray] = None) -> np.ndarray:
    """``[B, H, W]`` bool: where each of the bands ``indexes`` (1-based) holds data.

    From the file's masks (nodata per band, or an alpha band / internal mask), or, with
    ``nodata``, from ``data != nodata`` (``data``: the bands as read). A pixel is valid where any
    band is (:func:`pixel_valid`): for all of a file's bands, its ``dataset_mask()``.
    """
    if nodata is not None:
        return data != nodata
    return src.read_masks(list(indexes), window=window) > 0


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
        ``[H, W, B]`` array in the file's dtype, and the ``[H, W, B]`` bool mask of where each
        band holds data (``mask.any(-1)``: the valid pixels, GDAL's dataset mask).
    """
    from rasterio.windows import Window
    with open_geotiff(path) as src:
        indexes = [b + 1 for b in check_bands(path, src.count, bands)]
        win = None if window is None else Window(*window)
        try:
            data = src.read(indexes, window=win)  # [B, H, W]
            masks = band_masks(src, indexes, win, nodata, data)
        except Exception as err:  # GDAL reports truncated tiles as generic read errors
            raise ValueError(f'{path}: could not read window {window} (corrupt or truncated '
                             f'GeoTIFF?): {err}') from None
    return (np.ascontiguousarray(data.transpose(1, 2,
                                                0)), np.ascontiguousarray(masks.transpose(1, 2, 0)))


def find_geotiffs(folder: str) -> List[str]:
    """Every ``.tif``/``.tiff`` under ``folder``, sorted."""
    found = []
    for root, _, files in os.walk(folder):
        found += [osp.join(root, f) for f in files if f.lower().endswith(GEOTIFF_SUFFIXES)]
    return sorted(found)


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
                img, masks = read_window(path, window, bands, nodata)
                valid = masks.any(-1).reshape(-1)  # valid pixels; band holes masked per band
                yield (img.reshape(-1, img.shape[2])[valid].astype(np.float64),
                       masks.reshape(-1, masks.shape[2])[valid])

    total = counts = sums = squares = lows = highs = None
    for pixels, masks in blocks():
        if total is None:
            n_bands = pixels.shape[1]
            total = 0
            counts, sums, squares = (np.zeros(n_bands) for _ in range(3))
            lows, highs = np.full(n_bands, np.inf), np.full(n_bands, -np.inf)
        if pixels.shape[1] != len(sums):
            raise ValueError(f'band_statistics: scenes have different band counts '
                             f'({pixels.shape[1]} and {len(sums)})')
        if len(pixels):
            total += len(pixels)
            counts += masks.sum(0)
            sums += (pixels * masks).sum(0)
            squares += (pixels**2 * masks).sum(0)
            lows = np.minimum(lows, np.where(masks, pixels, np.inf).min(0))
            highs = np.maximum(highs, np.where(masks, pixels, -np.inf).max(0))
    if not total or not counts.all():
        raise ValueError('band_statistics: no valid pixel in the scenes (all nodata?)')
    mean = sums / counts
    std = np.sqrt(np.maximum(squares / counts - mean**2, 0))
    hist = np.zeros((len(sums), bins))
    edges = [np.linspace(lo, hi if hi > lo else lo + 1, bins + 1) for lo, hi in zip(lows, highs)]
    for pixels, masks in blocks():
        for b in range(len(sums)):
            hist[b] += np.histogram(pixels[masks[:, b], b], edges[b])[0]
    stats = dict(
        mean=mean.tolist(),
        std=std.tolist(),
        min=lows.tolist(),
        max=highs.tolist(),
        count=int(total))
    for q in percentiles:
        cdf = np.cumsum(hist, axis=1) / counts[:, None]
        stats[f'p{q:g}'] = [
            float(edges[b][min(np.searchsorted(cdf[b], q / 100) + 1, bins)])
            for b in range(len(sums))
        ]
    return stats
