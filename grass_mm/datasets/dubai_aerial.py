"""The Dubai "Semantic segmentation of aerial imagery" set (CC0): converter and dataset class.

Original layout: ``<root>/Semantic segmentation dataset/Tile N/{images/*.jpg, masks/*.png}``
with RGB colour-coded masks. The split is by tile (Tiles 1-6 train, Tile 7 validation): parts
of one tile overlap in content, so splitting by image would leak.
"""
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.utils import track_iter_progress
from mmseg.registry import DATASETS

from .base import CheckedSegDataset

DUBAI_CLASSES = ('building', 'land', 'road', 'vegetation', 'water', 'unlabeled')
# The colours the masks really use (the bundled classes.json lists others).
DUBAI_COLOURS = ('#3C1098', '#8429F6', '#6EC1E4', '#FEDD3A', '#E2A929', '#9B9B9B')
DUBAI_PALETTE = [[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in DUBAI_COLOURS]
DUBAI_TRAIN_TILES = (1, 2, 3, 4, 5, 6)
DUBAI_VAL_TILES = (7, )
DUBAI_TILES = DUBAI_TRAIN_TILES + DUBAI_VAL_TILES
# The v2 evaluation protocol (docs/en/user_guides/benchmark.md): 'unlabeled' (0.1 % of the pixels)
# is
# ignored, and every image is resized by one factor, so training and test tiles keep the same
# ground resolution relative to each other.
DUBAI_EVAL_CLASSES = DUBAI_CLASSES[:5]
DUBAI_EVAL_SCALE = 0.5
IGNORE_INDEX = 255
# Tolerated share of mask pixels in no known colour (black is 0.00002 % of the real masks).
MAX_UNKNOWN_FRACTION = 0.01


def _find_root(root: str) -> str:
    inner = osp.join(root, 'Semantic segmentation dataset')
    return inner if osp.isdir(inner) else root


def rgb_mask_to_index(mask_rgb: np.ndarray, path: str = '<mask>') -> np.ndarray:
    """Map an RGB colour-coded mask to class indices; black and unknown colours become 255.

    Raises:
        ValueError: More than 1 % of the pixels are in no known colour (wrong file?).
    """
    codes = (mask_rgb[..., 0].astype(np.int32) << 16) | (mask_rgb[..., 1].astype(np.int32) << 8)
    codes |= mask_rgb[..., 2]
    out = np.full(codes.shape, IGNORE_INDEX, np.uint8)
    known = np.zeros(codes.shape, bool)
    for index, (r, g, b) in enumerate(DUBAI_PALETTE):
        hit = codes == ((r << 16) | (g << 8) | b)
        out[hit] = index
        known |= hit
    unknown = (~known & (codes != 0)).mean()
    if unknown > MAX_UNKNOWN_FRACTION:
        raise ValueError(f'{path}: {unknown:.1%} of the pixels are in none of the colours '
                         f'{DUBAI_COLOURS} (nor black); is this a Dubai aerial mask?')
    return out


def convert_dubai_aerial(root: str,
                         out_dir: str,
                         train_tiles: Sequence[int] = DUBAI_TRAIN_TILES,
                         val_tiles: Sequence[int] = DUBAI_VAL_TILES,
                         all_tiles: bool = False) -> Dict[str, int]:
    """Convert the original layout to MMSegmentation's ``img_dir``/``ann_dir`` layout.

    Images are copied unchanged (JPEG); masks become single-channel PNGs of class indices with
    black (and any unknown colour) as 255. Files are named ``tileN_image_part_00K``.

    Args:
        root: The dataset folder (holding ``Tile N`` folders, directly or under
            ``Semantic segmentation dataset``).
        out_dir: Target folder; existing files of the same name are left untouched.
        train_tiles: Tiles for ``train``.
        val_tiles: Tiles for ``val``.
        all_tiles: Write the train and val tiles into one split, ``all``, instead (the
            leave-one-tile-out protocol picks its folds with the dataset's ``tiles``).

    Returns:
        Number of images written per split.

    Raises:
        FileNotFoundError: A tile folder, or an image's mask, is missing.
    """
    if set(train_tiles) & set(val_tiles):
        raise ValueError(f'train_tiles {train_tiles} and val_tiles {val_tiles} overlap')
    splits = ({
        'all': sorted({*train_tiles, *val_tiles})
    } if all_tiles else {
        'train': train_tiles,
        'val': val_tiles
    })
    tiles_root = _find_root(root)
    jobs = []  # (split, tile, tile folder, image name), checked before anything is written
    for split, tiles in splits.items():
        for tile in tiles:
            tile_dir = osp.join(tiles_root, f'Tile {tile}')
            if not osp.isdir(osp.join(tile_dir, 'images')):
                raise FileNotFoundError(f'{tile_dir}/images not found: expected the original '
                                        "layout '<root>/Tile N/images/*.jpg'")
            jobs += [(split, tile, tile_dir, name)
                     for name in sorted(os.listdir(osp.join(tile_dir, 'images')))
                     if osp.splitext(name)[1].lower() in ('.jpg', '.jpeg', '.png')]
    counts = {split: 0 for split in splits}
    for split in counts:
        os.makedirs(osp.join(out_dir, 'img_dir', split), exist_ok=True)
        os.makedirs(osp.join(out_dir, 'ann_dir', split), exist_ok=True)
    for split, tile, tile_dir, name in track_iter_progress(jobs, file=sys.stdout):  # current
        stem = osp.splitext(name)[0]
        mask_path = osp.join(tile_dir, 'masks', stem + '.png')
        if not osp.isfile(mask_path):
            raise FileNotFoundError(f'mask {mask_path} for image {name} not found')
        out_stem = f'tile{tile}_{stem}'
        dst_img = osp.join(out_dir, 'img_dir', split, out_stem + '.jpg')
        dst_ann = osp.join(out_dir, 'ann_dir', split, out_stem + '.png')
        if not osp.exists(dst_img):
            shutil.copyfile(osp.join(tile_dir, 'images', name), dst_img)
        if not osp.exists(dst_ann):
            mask = cv2.imread(mask_path, cv2.IMREAD_COLOR)
            if mask is None:
                raise ValueError(f'{mask_path}: not a readable image')
            cv2.imwrite(dst_ann, rgb_mask_to_index(mask[..., ::-1], mask_path))
        counts[split] += 1
    return counts


def load_dubai_tiles(root: str,
                     tiles: Sequence[int] = DUBAI_TILES,
                     scale: float = DUBAI_EVAL_SCALE,
                     classes: Sequence[str] = DUBAI_EVAL_CLASSES) -> List[dict]:
    """Read the original layout's images and masks at one fixed scale (the probes' input).

    Args:
        root: The dataset folder (``Tile N`` folders, directly or under
            ``Semantic segmentation dataset``).
        tiles: Tiles to read.
        scale: One resize factor for every image (area interpolation; labels nearest).
        classes: Classes kept, renumbered in this order; the others become 255 (ignored).

    Returns:
        One dict per image, in tile then file order: ``tile``, ``path``, ``img`` (BGR uint8
        ``[H, W, 3]``) and ``label`` (uint8 ``[H, W]``).

    Raises:
        FileNotFoundError: A tile folder or a mask is missing.
    """
    unknown = sorted(set(classes) - set(DUBAI_CLASSES))
    if unknown:
        raise ValueError(f'unknown class(es) {unknown}; the Dubai classes are {DUBAI_CLASSES}')
    lut = np.full(256, IGNORE_INDEX, np.uint8)
    for new, name in enumerate(classes):
        lut[DUBAI_CLASSES.index(name)] = new
    tiles_root = _find_root(root)
    out = []
    for tile in tiles:
        img_dir = osp.join(tiles_root, f'Tile {tile}', 'images')
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'{img_dir} not found: expected the original layout '
                                    "'<root>/Tile N/images/*.jpg'")
        for name in sorted(os.listdir(img_dir)):
            if osp.splitext(name)[1].lower() not in ('.jpg', '.jpeg', '.png'):
                continue
            mask_path = osp.join(tiles_root, f'Tile {tile}', 'masks',
                                 osp.splitext(name)[0] + '.png')
            image = cv2.imread(osp.join(img_dir, name), cv2.IMREAD_COLOR)
            mask = cv2.imread(mask_path, cv2.IMREAD_COLOR)
            if image is None or mask is None:
                raise FileNotFoundError(f'{osp.join(img_dir, name)} or its mask {mask_path} '
                                        'is missing or unreadable')
            if mask.shape[:2] != image.shape[:2]:  # never resized to fit: the pair is wrong
                raise ValueError(f'{mask_path}: mask of {mask.shape[:2]} for the image '
                                 f'{osp.join(img_dir, name)} of {image.shape[:2]} (height, width)')
            size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
            label = lut[rgb_mask_to_index(mask[..., ::-1], mask_path)]
            out.append(
                dict(
                    tile=tile,
                    path=osp.join(img_dir, name),
                    img=cv2.resize(image, size, interpolation=cv2.INTER_AREA),
                    label=cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)))
    return out


@DATASETS.register_module()
class DubaiAerialDataset(CheckedSegDataset):
    """Dubai aerial imagery (6 classes) after :func:`convert_dubai_aerial`.

    Args:
        tiles: Keep only these tiles' images (files ``tileN_*``), e.g. the six training tiles of
            a leave-one-tile-out fold over the ``all`` split. Defaults to every image found.
        metainfo: mmseg's; ``dict(classes=DUBAI_EVAL_CLASSES)`` maps 'unlabeled' to 255
            (mmseg's label map for a class subset), the v2 protocol's 5 classes.
    """

    METAINFO = dict(classes=DUBAI_CLASSES, palette=DUBAI_PALETTE)

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 tiles: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        self.tiles = None if tiles is None else tuple(int(t) for t in tiles)
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if self.tiles is None:
            return data_list
        prefixes = tuple(f'tile{t}_' for t in self.tiles)
        kept = [d for d in data_list if osp.basename(d['img_path']).startswith(prefixes)]
        if not kept:
            raise FileNotFoundError(f'DubaiAerialDataset: no image of tiles {self.tiles} '
                                    f"(files 'tileN_*') in {self.data_prefix.get('img_path')!r}")
        return kept
