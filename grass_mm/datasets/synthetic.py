"""SYNTHETIC aerial-like scenes with label masks: the project's built-in default dataset.

Real benchmark datasets are large and licensed, so none ships with the project. This module
renders small top-down scenes (textured bare soil, roads, buildings with cast shadows,
vegetation, water, sensor noise) deterministically from a seed, in MMSegmentation's layout, so
the demo and the tests have data on any machine. The images are synthetic: figures measured on
them say nothing about real imagery.
"""
import json
import os
import os.path as osp
from typing import Optional, Tuple

import cv2
import numpy as np
from mmseg.registry import DATASETS

from .base import CheckedSegDataset

SYNTHETIC_CLASSES = ('bare_soil', 'building', 'road', 'vegetation', 'water')
SYNTHETIC_PALETTE = [[170, 140, 100], [200, 60, 60], [128, 128, 128], [40, 140, 40], [30, 80, 160]]
_META_FILE = 'synthetic_aerial.json'


def _blobs(rng: np.random.Generator, size: int, grid: int, coverage: float) -> np.ndarray:
    """Smooth random blobs covering about ``coverage`` of the scene."""
    noise = cv2.resize(
        rng.random((grid, grid)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    return noise > np.quantile(noise, 1 - coverage)


def _texture(rng: np.random.Generator, size: int, strength: float) -> np.ndarray:
    """Two-scale texture in [-strength, strength] per pixel."""
    coarse = cv2.resize(
        rng.standard_normal((size // 8, size // 8)).astype(np.float32), (size, size),
        interpolation=cv2.INTER_LINEAR)
    fine = rng.standard_normal((size, size)).astype(np.float32)
    return strength * (0.7 * coarse + 0.3 * fine)


def render_scene(rng: np.random.Generator, size: int = 256) -> Tuple[np.ndarray, np.ndarray]:
    """Render one synthetic scene.

    Args:
        rng: Random generator (the scene is a pure function of its state).
        size: Side of the square scene in pixels.

    Returns:
        ``(image, label)``: RGB uint8 ``[size, size, 3]`` and class indices uint8
        ``[size, size]`` into :data:`SYNTHETIC_CLASSES`.
    """
    label = np.zeros((size, size), np.uint8)
    if rng.random() < 0.6:
        label[_blobs(rng, size, 4, rng.uniform(0.08, 0.25))] = 4  # water
    veg = _blobs(rng, size, int(rng.integers(5, 10)), rng.uniform(0.15, 0.4))
    label[veg & (label == 0)] = 3
    for _ in range(int(rng.integers(1, 4))):  # straight roads across the scene
        p, angle = rng.uniform(0, size, 2), rng.uniform(0, np.pi)
        d = np.array([np.cos(angle), np.sin(angle)]) * size * 2
        road = np.zeros_like(label)
        cv2.line(road, tuple(int(v) for v in p - d), tuple(int(v) for v in p + d), 1,
                 int(rng.integers(size // 40 + 2, size // 16 + 3)))
        label[(road > 0) & (label != 4)] = 2
    shadow = np.zeros((size, size), bool)
    sun = rng.uniform(0, 2 * np.pi)
    for _ in range(int(rng.integers(3, 12))):  # rotated rectangular buildings
        centre = rng.uniform(0.1 * size, 0.9 * size, 2)
        wh = rng.uniform(size / 20, size / 6, 2)
        box = cv2.boxPoints((tuple(centre), tuple(wh), float(rng.uniform(0, 90))))
        footprint = np.zeros_like(label)
        cv2.fillPoly(footprint, [box.astype(np.int32)], 1)
        footprint = footprint > 0
        if (label[footprint] == 2).mean() > 0.1 or (label[footprint] == 4).any():
            continue  # no buildings on roads or in water
        height = rng.uniform(1, max(2.0, size / 25))  # casts the shadow
        offset = (np.array([np.cos(sun), np.sin(sun)]) * height).astype(np.float32)
        cast = cv2.warpAffine(
            footprint.astype(np.uint8), np.float32([[1, 0, offset[0]], [0, 1, offset[1]]]),
            (size, size))
        shadow |= cast > 0
        label[footprint] = 1
    shadow &= label != 1

    base = np.array(
        [[rng.uniform(150, 195), rng.uniform(120, 160),
          rng.uniform(80, 115)], [0, 0, 0], [rng.uniform(95, 140)] * 3,
         [rng.uniform(25, 70), rng.uniform(90, 150),
          rng.uniform(25, 60)], [rng.uniform(15, 45),
                                 rng.uniform(55, 95),
                                 rng.uniform(100, 150)]], np.float32)
    image = base[label]
    num, roofs = cv2.connectedComponents((label == 1).astype(np.uint8))
    roof_colours = rng.uniform(60, 235, (num, 3)).astype(np.float32)
    image[label == 1] = roof_colours[roofs[label == 1]]
    strength = np.array([18, 10, 8, 22, 4], np.float32)[label]
    image += (_texture(rng, size, 1.0) * strength)[..., None]
    image[shadow] *= rng.uniform(0.45, 0.65)
    image = cv2.GaussianBlur(image, (3, 3), 0.7)
    image += rng.normal(0, 3, image.shape).astype(np.float32)  # sensor noise
    return np.clip(image, 0, 255).astype(np.uint8), label


def generate_synthetic_aerial(out_dir: str,
                              num_train: int = 48,
                              num_val: int = 16,
                              size: int = 256,
                              seed: int = 0) -> str:
    """Write a synthetic aerial dataset in MMSegmentation's layout (or reuse an identical one).

    Files: ``img_dir/{train,val}/synthetic_NNNN.png`` (RGB) and ``ann_dir/{train,val}/...png``
    (class indices), plus ``synthetic_aerial.json`` recording the arguments.

    Args:
        out_dir: Target folder. It must be empty, absent, or hold this same dataset.
        num_train: Training scenes.
        num_val: Validation scenes.
        size: Scene side in pixels.
        seed: Seed; the same arguments always give the same pixels.

    Returns:
        ``out_dir``.

    Raises:
        FileExistsError: ``out_dir`` holds something else; nothing is overwritten.
    """
    if size < 32 or num_train < 0 or num_val < 0:
        raise ValueError(f'need size >= 32 and non-negative counts, got size={size}, '
                         f'num_train={num_train}, num_val={num_val}')
    meta = dict(
        num_train=num_train, num_val=num_val, size=size, seed=seed, classes=list(SYNTHETIC_CLASSES))
    meta_file = osp.join(out_dir, _META_FILE)
    if osp.isfile(meta_file):
        with open(meta_file) as f:
            if json.load(f) == meta:
                return out_dir
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise FileExistsError(f'{out_dir} is not empty and does not hold a synthetic dataset '
                              f'made with {meta}; choose another folder (nothing was written)')
    rng = np.random.default_rng(seed)
    for split, count in (('train', num_train), ('val', num_val)):
        for sub in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(out_dir, sub, split), exist_ok=True)
        for i in range(count):
            image, label = render_scene(rng, size)
            name = f'synthetic_{split}_{i:04d}.png'
            cv2.imwrite(osp.join(out_dir, 'img_dir', split, name), image[..., ::-1])
            cv2.imwrite(osp.join(out_dir, 'ann_dir', split, name), label)
    with open(meta_file, 'w') as f:
        json.dump(meta, f)
    return out_dir


@DATASETS.register_module()
class SyntheticAerialDataset(CheckedSegDataset):
    """The SYNTHETIC aerial dataset written by :func:`generate_synthetic_aerial`."""

    METAINFO = dict(classes=SYNTHETIC_CLASSES, palette=SYNTHETIC_PALETTE)

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)


def write_synthetic_scene(img_path: str,
                          rng: np.random.Generator,
                          size: int = 256,
                          bands: int = 4,
                          nodata: int = 0,
                          ann_path: Optional[str] = None,
                          origin: Tuple[float, float] = (500000.0, 2800000.0),
                          resolution: float = 0.5,
                          crs: Optional[str] = 'EPSG:32640') -> None:
    """Write one synthetic multispectral scene as a uint16 GeoTIFF (and its label GeoTIFF).

    The first three bands are the RGB render scaled to 12 bit; the others are linear mixes of
    the class layout (a near-infrared-like band bright on vegetation, and so on) with noise. A
    strip along the left edge is nodata (``nodata`` in every band; 255 in the label), as at the
    edge of a real orthophoto. Georeferenced by ``origin`` (upper-left, in ``crs`` units) and
    ``resolution``; ``crs=None`` writes a scene without georeference.
    """
    import rasterio
    from rasterio.transform import from_origin
    image, label = render_scene(rng, size)
    data = np.empty((bands, size, size), np.float32)
    data[:min(bands, 3)] = image.transpose(2, 0, 1)[:bands].astype(np.float32) * 16
    weights = rng.uniform(300, 3000, (max(bands - 3, 0), len(SYNTHETIC_CLASSES)))
    for b in range(3, bands):
        data[b] = weights[b - 3][label] + rng.normal(0, 60, (size, size))
    data = np.clip(data, 1, 65535).astype(np.uint16)  # 0 is reserved for nodata
    edge = max(size // 16, 1)
    data[:, :, :edge] = nodata
    label = label.copy()
    label[:, :edge] = 255
    profile = dict(
        driver='GTiff', width=size, height=size, count=bands, dtype='uint16', nodata=nodata)
    if crs is not None:
        profile.update(crs=crs, transform=from_origin(*origin, resolution, resolution))
    with rasterio.open(img_path, 'w', **profile) as dst:
        dst.write(data)
    if ann_path is not None:
        profile.update(count=1, dtype='uint8', nodata=255)
        with rasterio.open(ann_path, 'w', **profile) as dst:
            dst.write(label[None])


def generate_synthetic_multispectral(out_dir: str,
                                     bands: int = 4,
                                     num_train: int = 8,
                                     num_val: int = 4,
                                     size: int = 160,
                                     seed: int = 0) -> str:
    """Write a synthetic multispectral dataset of GeoTIFFs in MMSegmentation's layout.

    ``img_dir/{train,val}/ms_NNNN.tif`` (``bands`` bands, uint16, nodata 0, UTM 40N) and
    ``ann_dir/{train,val}/ms_NNNN.tif`` (uint8 class indices, 255 where the image is nodata).
    ``out_dir`` must be absent or empty.
    """
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise FileExistsError(f'{out_dir} is not empty; choose another folder (nothing written)')
    rng = np.random.default_rng(seed)
    for split, count in (('train', num_train), ('val', num_val)):
        for sub in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(out_dir, sub, split), exist_ok=True)
        for i in range(count):
            name = f'ms_{split}_{i:04d}.tif'
            write_synthetic_scene(
                osp.join(out_dir, 'img_dir', split, name),
                rng,
                size,
                bands,
                ann_path=osp.join(out_dir, 'ann_dir', split, name),
                origin=(500000.0 + 1000 * i, 2800000.0))
    return out_dir


def write_large_synthetic_scene(path: str,
                                size: int = 8000,
                                bands: int = 4,
                                block: int = 500,
                                seed: int = 0) -> str:
    """Write a large uint16 GeoTIFF scene block by block (memory bounded by one block).

    Each ``block`` × ``block`` tile is a :func:`write_synthetic_scene`-style render; a band of
    nodata runs along the left edge. Used to measure :func:`~grass_mm.apis.predict_scene` on big
    scenes.
    """
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window
    rng = np.random.default_rng(seed)
    weights = rng.uniform(300, 3000, (max(bands - 3, 0), len(SYNTHETIC_CLASSES)))
    profile = dict(
        driver='GTiff',
        width=size,
        height=size,
        count=bands,
        dtype='uint16',
        nodata=0,
        crs='EPSG:32640',
        transform=from_origin(500000.0, 2800000.0, 0.5, 0.5),
        tiled=True,
        blockxsize=256,
        blockysize=256)
    with rasterio.open(path, 'w', **profile) as dst:
        for y in range(0, size, block):
            for x in range(0, size, block):
                h, w = min(block, size - y), min(block, size - x)
                image, label = render_scene(rng, block)
                data = np.empty((bands, h, w), np.float32)
                data[:min(bands, 3)] = image[:h, :w].transpose(2, 0, 1)[:bands] * 16.0
                for b in range(3, bands):
                    data[b] = weights[b - 3][label[:h, :w]]
                data = np.clip(data, 1, 65535).astype(np.uint16)
                if x == 0:
                    data[:, :, :size // 64] = 0
                dst.write(data, window=Window(x, y, w, h))
    return path
