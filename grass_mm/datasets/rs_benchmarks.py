"""Official Potsdam / Vaihingen / LoveDA archives -> mmseg layout + pretraining patches.

1. mmseg layout (``img_dir``/``ann_dir``, official splits): mmseg's own converter, unchanged.
2. Pretraining patches from the *training* split only, into ``<out>/pretrain_patches``
   (LoveDA: ``pretrain_patches/urban`` and ``pretrain_patches/rural``):
   - Potsdam, Vaihingen: mmseg's converter again, on the image archive only, with
     ``--clip_size P --stride_size P`` (non-overlapping ``P`` px patches); only its ``train``
     split is kept, so validation tiles never reach pretraining.
   - LoveDA: the ``Train/<Urban|Rural>/images_png`` images of ``Train.zip`` cut into ``P`` px
     patches (``Val.zip`` is never read for pretraining).

Potsdam RGB-IR (``4_Ortho_RGBIR.zip``, 4 bands): mmseg's converter writes the labels (its
``ann_dir``, unchanged); the image tiles are cut here at exactly its boxes into 4-band GeoTIFF
patches (``img_dir/<split>/<i>_<j>_<x1>_<y1>_<x2>_<y2>.tif``, each with its own georeference),
and the pretraining patches are 4-band GeoTIFFs of the training tiles.

Existing outputs are never overwritten: a step whose output folder is already filled is skipped
and says so in the returned report.
"""
import glob
import math
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import zipfile
from typing import List, Optional

import mmseg

from .patches import cut_geotiff_patches, cut_patches

DEFAULT_OUT = dict(
    potsdam='data/potsdam',
    vaihingen='data/vaihingen',
    loveda='data/loveDA',
    **{'potsdam-rgbir': 'data/potsdam_rgbir'})
# mmseg's potsdam.py splits (by tile id).
POTSDAM_VAL = ('5_15', '6_15', '6_13', '3_13', '4_14', '6_14', '5_14', '2_13', '4_15', '2_14',
               '5_13', '4_13', '3_14', '7_13')


def mmseg_converter(name: str) -> str:
    """The path of mmseg's own converter script ``name``: mmseg ships its converters only as the
    scripts its install copies into ``mmseg/.mim`` (no library form to import), so they run as
    child processes."""
    path = osp.join(
        osp.dirname(mmseg.__file__), '.mim', 'tools', 'dataset_converters', f'{name}.py')
    if not osp.isfile(path):
        raise FileNotFoundError(f"mmseg's converter {path} is missing (mmsegmentation "
                                'installed without its .mim tools?)')
    return path


def filled(folder: str) -> bool:
    return osp.isdir(folder) and bool(os.listdir(folder))


# The archives each converter reads, and a suffix their members must have.
EXPECTED = dict(
    potsdam={
        '2_Ortho_RGB.zip': '.tif',
        '5_Labels_all_noBoundary.zip': '.tif'
    },
    vaihingen={
        'ISPRS_semantic_labeling_Vaihingen.zip': '.tif',
        'ISPRS_semantic_labeling_Vaihingen_ground_truth_eroded_COMPLETE.zip': '.tif'
    },
    loveda={
        'Train.zip': '.png',
        'Val.zip': '.png',
        'Test.zip': '.png'
    },
    **{'potsdam-rgbir': {
        '4_Ortho_RGBIR.zip': '.tif',
        '5_Labels_all_noBoundary.zip': '.tif'
    }})


def check_archives(dataset: str, archives: str) -> None:
    """Name the first archive that is missing, not a zip, or holds no image of its kind."""
    for name, suffix in EXPECTED[dataset].items():
        path = osp.join(archives, name)
        if not osp.isfile(path):
            raise ValueError(f'{path}: missing ({dataset} needs {sorted(EXPECTED[dataset])})')
        if not zipfile.is_zipfile(path):
            raise ValueError(f'{path}: not a zip archive (a failed or partial download?)')
        with zipfile.ZipFile(path) as archive:
            if not any(m.lower().endswith(suffix) for m in archive.namelist()):
                raise ValueError(f'{path}: holds no {suffix} file; is it the official archive?')


def run_converter(name: str, archives: str, out: str, *extra: str) -> None:
    """mmseg's converter into a scratch folder beside ``out``, moved into place on success:
    a failed run leaves no partial ``img_dir``/``ann_dir`` that a rerun would take as done."""
    parent = osp.dirname(osp.abspath(out))
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix='.convert-') as scratch:
        result = subprocess.run(
            [sys.executable, mmseg_converter(name), archives, '-o', scratch, *extra])
        if result.returncode != 0:
            raise RuntimeError(f"mmseg's {name} converter failed on {archives} (see its output "
                               f'above); nothing was written to {out}')
        os.makedirs(out, exist_ok=True)
        for folder in sorted(os.listdir(scratch)):
            os.replace(osp.join(scratch, folder), osp.join(out, folder))


def image_patches_from_isprs(name: str, archives: str, out: str, size: int) -> None:
    """mmseg's converter on the image archive(s) only, clipping non-overlapping patches."""
    # Label archives: Potsdam's 5_Labels_*.zip, Vaihingen's *ground_truth*.zip (the image
    # archive ISPRS_semantic_labeling_Vaihingen.zip says "labeling", not "labels").
    zips = [
        z for z in glob.glob(osp.join(archives, '*.zip'))
        if not any(k in osp.basename(z).lower() for k in ('labels', 'ground_truth'))
    ]
    if not zips:
        raise FileNotFoundError(f'no image archive (a .zip without "labels"/"ground_truth" in '
                                f'its name) in {archives}')
    with tempfile.TemporaryDirectory() as tmp:
        for z in zips:
            os.symlink(osp.abspath(z), osp.join(tmp, osp.basename(z)))
        clipped = osp.join(tmp, 'clipped')
        run_converter(name, tmp, clipped, '--clip_size', str(size), '--stride_size', str(size))
        shutil.copytree(osp.join(clipped, 'img_dir', 'train'), out)  # train split only


def image_patches_from_loveda(archives: str, out: str, size: int) -> List[str]:
    """Cut Train.zip's Urban and Rural images into patches, one folder per domain."""
    report = []
    with zipfile.ZipFile(osp.join(archives, 'Train.zip')) as archive, \
            tempfile.TemporaryDirectory() as tmp:
        for domain in ('Urban', 'Rural'):
            members = [
                m for m in archive.namelist()
                if f'Train/{domain}/images_png/' in m and m.endswith('.png')
            ]
            if not members:
                raise FileNotFoundError(f'Train.zip has no Train/{domain}/images_png/*.png')
            archive.extractall(tmp, members)
            images = [osp.join(tmp, m) for m in members]
            counts = cut_patches(images, osp.join(out, domain.lower()), patch_size=size)
            report.append(f'LoveDA {domain}: {counts}')
    return report


def isprs_boxes(height: int, width: int, clip: int = 512, stride: int = 256) -> list:
    """The ``(x1, y1, x2, y2)`` boxes of mmseg's potsdam.py ``clip_big_image``, reproduced so
    that 4-band image patches pair with its label patches (it steps by ``clip``, not ``stride``;
    ``stride`` only sets the count)."""

    def count(length: int) -> int:
        n = math.ceil((length - clip) / stride)
        return n if n * stride + clip >= length else n + 1

    boxes = []
    for row in range(count(height) + 1):
        for col in range(count(width) + 1):
            x, y = min(col * clip, width - clip), min(row * clip, height - clip)
            boxes.append((x, y, min(x + clip, width), min(y + clip, height)))
    return boxes


def potsdam_rgbir(archives: str, out: str, size: int, report: List[str]) -> None:
    """Labels by mmseg's converter; 4-band GeoTIFF image patches at its boxes; pretraining
    patches from the training tiles."""
    import rasterio
    from rasterio.windows import Window

    if filled(osp.join(out, 'ann_dir')):
        report.append(f'{out}/ann_dir exists: labels left as they are')
    else:
        with tempfile.TemporaryDirectory() as tmp:
            os.symlink(
                osp.abspath(osp.join(archives, '5_Labels_all_noBoundary.zip')),
                osp.join(tmp, '5_Labels_all_noBoundary.zip'))
            run_converter('potsdam', tmp, out)
    patches = osp.join(out, 'pretrain_patches')
    images_done = filled(osp.join(out, 'img_dir', 'train'))  # mmseg's run makes empty dirs
    if images_done and filled(patches):
        report.append(f'{out}/img_dir and {patches} exist: left as they are')
        return
    with zipfile.ZipFile(osp.join(archives, '4_Ortho_RGBIR.zip')) as archive, \
            tempfile.TemporaryDirectory() as tmp:
        tiles = sorted(m for m in archive.namelist() if m.lower().endswith('_rgbir.tif'))
        if not tiles:
            raise ValueError(f'{archives}/4_Ortho_RGBIR.zip holds no *_RGBIR.tif tile')
        for member in tiles:
            tile = archive.extract(member, tmp)
            i, j = osp.basename(member).split('_')[2:4]
            split = 'val' if f'{i}_{j}' in POTSDAM_VAL else 'train'
            if not images_done:
                folder = osp.join(out, 'img_dir', split)
                os.makedirs(folder, exist_ok=True)
                with rasterio.open(tile) as src:
                    profile = dict(src.profile, driver='GTiff', tiled=False, compress='deflate')
                    for x1, y1, x2, y2 in isprs_boxes(src.height, src.width):
                        window = Window(x1, y1, x2 - x1, y2 - y1)
                        profile.update(
                            width=x2 - x1, height=y2 - y1, transform=src.window_transform(window))
                        profile.pop('blockxsize', None)
                        profile.pop('blockysize', None)
                        name = osp.join(folder, f'{i}_{j}_{x1}_{y1}_{x2}_{y2}.tif')
                        with rasterio.open(name, 'w', **profile) as dst:
                            dst.write(src.read(window=window))
            if split == 'train' and not filled(patches):
                cut_geotiff_patches(tile, patches + '.partial', size)
            os.remove(tile)
    if osp.isdir(patches + '.partial'):
        os.replace(patches + '.partial', patches)


def prepare_rs_benchmark(dataset: str,
                         archives: str,
                         out: Optional[str] = None,
                         patch_size: int = 256) -> List[str]:
    """Convert one benchmark's official archives; existing outputs are left as they are.

    Args:
        dataset: ``potsdam``, ``vaihingen``, ``loveda`` or ``potsdam-rgbir``.
        archives: Folder holding the downloaded zips, as mmseg's converters expect it.
        out: Output root; defaults to the configs' data root (``DEFAULT_OUT``).
        patch_size: Pretraining patch size in px.

    Returns:
        One line per step: what was written, or what was found and left alone.

    Raises:
        ValueError: An unknown dataset, or an archive that is missing, not a zip, or holds no
            image of its kind (named).
        RuntimeError: mmseg's converter failed; nothing was written to ``out``.
    """
    if dataset not in DEFAULT_OUT:
        raise ValueError(f'dataset {dataset!r}: expected one of {sorted(DEFAULT_OUT)}')
    out = out or DEFAULT_OUT[dataset]
    check_archives(dataset, archives)
    report: List[str] = []
    if dataset == 'potsdam-rgbir':
        potsdam_rgbir(archives, out, patch_size, report)
        report.append(f'done: {out} (4-band GeoTIFF images, mmseg labels) and '
                      f'{out}/pretrain_patches')
        return report
    if filled(osp.join(out, 'img_dir')):
        report.append(f'{out}/img_dir exists: mmseg layout left as it is')
    else:
        run_converter(dataset, archives, out)
    patches = osp.join(out, 'pretrain_patches')
    if filled(patches):
        report.append(f'{patches} exists: pretraining patches left as they are')
    elif dataset == 'loveda':
        report += image_patches_from_loveda(archives, patches, patch_size)
    else:
        image_patches_from_isprs(dataset, archives, patches, patch_size)
    report.append(f'done: {out} (mmseg layout) and {patches} (pretraining patches, training '
                  'split only)')
    return report
