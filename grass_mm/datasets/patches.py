"""Cut large remote-sensing images into pretraining patches (an image folder mmpretrain reads).

Accepted as they are: 8-bit, 3-band images (RGB or IRRG) in PNG, JPEG or TIFF. Everything else
is rejected with a message naming the file and what it is, or, with ``convert=True``,
converted: 16-bit images are stretched to 8 bits (per band, 2-98 % percentiles), grayscale is
repeated to 3 bands, the alpha band of RGBA is dropped (its transparent pixels count as
invalid). 4-band TIFFs (e.g. RGBIR) need ``bands`` (three band indices) either way. Images are
read with OpenCV, which reads at most 4 bands: convert wider files with GDAL first, or cut them
with :func:`cut_geotiff_patches`, which keeps every band, the nodata and the georeference.
"""
import json
import os
import os.path as osp
import sys
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import scandir, track_iter_progress

from .raster import band_masks, check_bands, open_geotiff
from .windows import iter_windows, window_starts

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.tif', '.tiff')
_MANIFEST = 'patches.json'


def read_image(path: str,
               convert: bool = False,
               bands: Optional[Sequence[int]] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Read one image as 8-bit, 3-band BGR plus a validity mask.

    Args:
        path: Image file.
        convert: Convert 16-bit, grayscale and RGBA images instead of rejecting them.
        bands: Three band indices (file order) to keep from a multi-band image.

    Returns:
        ``(image, valid)``: uint8 ``[H, W, 3]`` in OpenCV's BGR order and bool ``[H, W]``
        (False where an alpha band is 0).

    Raises:
        ValueError: The file is unreadable, or of a kind that needs ``convert``/``bands``.
    """
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f'{path}: not a readable image (corrupt, truncated or unsupported)')
    if image.ndim == 2:
        image = image[..., None]
    height, width, count = image.shape
    valid = np.ones((height, width), bool)
    if bands is not None:
        if len(bands) != 3 or max(bands) >= count or min(bands) < 0:
            raise ValueError(f'{path}: bands={list(bands)} must be three indices below {count}')
        image = image[..., list(bands)]
    elif count == 4 and osp.splitext(path)[1].lower() == '.png':
        if not convert:
            raise ValueError(f'{path}: RGBA image; convert=True (--convert) drops the alpha band '
                             'and treats transparent pixels as invalid')
        valid = image[..., 3] > 0
        image = image[..., :3]
    elif count == 1:
        if not convert:
            raise ValueError(f'{path}: grayscale image; convert=True (--convert) repeats it to '
                             '3 bands')
        image = np.repeat(image, 3, axis=2)
    elif count != 3:
        raise ValueError(f'{path}: {count}-band image; choose three bands with bands=[i, j, k] '
                         '(--bands i j k), in file order')
    if image.dtype != np.uint8:
        if not convert:
            raise ValueError(f'{path}: {image.dtype} image; convert=True (--convert) stretches '
                             'each band to 8 bits between its 2 and 98 % percentiles')
        image = _to_uint8(image, valid)
    return np.ascontiguousarray(image), valid


def _to_uint8(image: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = np.empty(image.shape, np.uint8)
    for band in range(image.shape[2]):
        values = image[..., band].astype(np.float64)
        low, high = np.percentile(values[valid] if valid.any() else values, (2, 98))
        scaled = (values - low) / max(high - low, 1e-12) * 255
        out[..., band] = np.clip(np.round(scaled), 0, 255)
    return out


def cut_patches(images: Iterable[str],
                out_dir: str,
                patch_size: int = 256,
                stride: Optional[int] = None,
                border: str = 'shift',
                min_valid: float = 0.0,
                convert: bool = False,
                bands: Optional[Sequence[int]] = None) -> Dict[str, int]:
    """Cut images into square PNG patches named ``<stem>_<y>_<x>.png``.

    A pixel is invalid where every band is 0 (no-data), where an alpha band is 0, or in
    padding; patches with less than ``min_valid`` valid pixels are skipped.

    Args:
        images: Image files.
        out_dir: Output folder: new, empty, or holding patches cut with the same settings
            (existing patches are kept, never rewritten).
        patch_size: Patch side in pixels.
        stride: Step between patches (default ``patch_size``: no overlap).
        border: ``'drop'``, ``'shift'`` or ``'pad'``; see
            :func:`~grass_mm.datasets.windows.window_starts`.
        min_valid: Minimum fraction of valid pixels in a kept patch.
        convert: See :func:`read_image`.
        bands: See :func:`read_image`.

    Returns:
        Counts: ``images``, ``written``, ``existing`` and ``skipped`` (too few valid pixels).

    Raises:
        ValueError: Bad arguments, or bad images (see :func:`read_image`): every bad file is
            named, and nothing is written.
        FileExistsError: ``out_dir`` holds other content or patches cut with other settings.
    """
    stride = stride or patch_size
    if patch_size < 1 or stride < 1 or not 0.0 <= min_valid <= 1.0:
        raise ValueError(f'need patch_size >= 1, stride >= 1 and 0 <= min_valid <= 1, got '
                         f'{patch_size}, {stride}, {min_valid}')
    if border not in ('drop', 'shift', 'pad'):
        raise ValueError(f"border must be 'drop', 'shift' or 'pad', got {border!r}")
    images = sorted(images)
    if not images:
        raise ValueError('no images given (is the input folder empty?)')
    settings = dict(
        patch_size=patch_size,
        stride=stride,
        border=border,
        min_valid=min_valid,
        convert=convert,
        bands=list(bands) if bands else None)
    # Every image is checked before anything is written: all bad files are named at once, and
    # a folder with one bad file leaves no partial patches or manifest behind.
    problems = []
    for path in images:
        try:
            read_image(path, convert, bands)
        except ValueError as err:
            problems.append(str(err))
    if problems:
        raise ValueError(f'{len(problems)} of {len(images)} images cannot be cut (nothing was '
                         'written):\n  ' + '\n  '.join(problems))
    _claim(out_dir, settings)
    counts = dict(images=len(images), written=0, existing=0, skipped=0)
    for path in track_iter_progress(images, file=sys.stdout):  # the current stdout
        image, valid = read_image(path, convert, bands)
        valid &= image.any(axis=2)
        height, width = valid.shape
        stem = osp.splitext(osp.basename(path))[0]
        for y in window_starts(height, patch_size, stride, border):
            for x in window_starts(width, patch_size, stride, border):
                keep = valid[y:y + patch_size, x:x + patch_size]
                if keep.sum() < min_valid * patch_size * patch_size:  # padding is invalid
                    counts['skipped'] += 1
                    continue
                target = osp.join(out_dir, f'{stem}_{y}_{x}.png')
                if osp.exists(target):
                    counts['existing'] += 1
                    continue
                patch = np.zeros((patch_size, patch_size, 3), np.uint8)
                crop = image[y:y + patch_size, x:x + patch_size]
                patch[:crop.shape[0], :crop.shape[1]] = crop
                cv2.imwrite(target, patch)
                counts['written'] += 1
    return counts


def find_images(folder: str) -> List[str]:
    """Image files under ``folder`` (recursive), by suffix.

    Sub-folders that :func:`cut_patches` wrote (they hold its manifest, ``patches.json``) are
    left out: patches cut from a folder are never read back as its source images.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder} is not a folder')
    found = []
    for name in scandir(folder, IMAGE_SUFFIXES, recursive=True, case_sensitive=False):
        parts = osp.normpath(name).split(os.sep)[:-1]
        if not any(
                osp.isfile(osp.join(folder, *parts[:i + 1], _MANIFEST)) for i in range(len(parts))):
            found.append(osp.join(folder, name))
    return sorted(found)


def _claim(out_dir: str, settings: dict) -> None:
    """Refuse a folder holding anything but patches cut with these settings."""
    manifest = osp.join(out_dir, _MANIFEST)
    if osp.isfile(manifest):
        with open(manifest) as f:
            previous = json.load(f)
        if previous != settings:
            raise FileExistsError(f'{out_dir} holds patches cut with {previous}, not '
                                  f'{settings}; choose another folder')
        return
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise FileExistsError(f'{out_dir} is not empty and holds no {_MANIFEST}; choose a new '
                              'folder (nothing is overwritten)')
    os.makedirs(out_dir, exist_ok=True)
    with open(manifest, 'w') as f:
        json.dump(settings, f)


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
            valid = band_masks(scene, indexes, window).any(0)  # GDAL's dataset mask
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
