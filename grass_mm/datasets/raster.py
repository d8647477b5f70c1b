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
