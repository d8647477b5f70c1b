"""Scene inference: an mmseg model over a GeoTIFF of any size, window by window.

A sliding window of ``window`` pixels moves by ``window - overlap``; each window's logits are
weighted by a tent that falls towards the window's edges and summed, so overlapping windows blend
without seams. The scene is read one row of windows at a time and the output written as soon as
no later window can touch a row, so memory stays bounded by one row of windows whatever the
scene's size. The output has the input's CRS, transform and size, class indices as uint8, and
255 (its nodata) where the input's dataset mask says it holds no data; it carries the class
names, the palette as colour table, overviews and a QGIS style.

Against mmseg's ``RSInferencer`` (``mmseg/apis/remote_sense_inferencer.py``), which also slides
windows over a large raster: this reads and writes with rasterio (no GDAL Python bindings), blends
overlapping windows' *logits* with tent weights (``RSInferencer`` takes each window's argmax),
keeps the input's CRS, transform and nodata, predicts nothing in all-nodata windows, and holds one
row of windows in memory (``RSInferencer`` keeps the whole output array).
"""
import contextlib
import json
import os
import warnings
from typing import Callable, List, Optional, Sequence

import numpy as np

from grass_mm.datasets.raster import check_bands, open_geotiff
from .scene_model import NODATA, SceneModel, predict_windows
from .scene_outputs import (check_outputs, overview_factors, partial_name, remove_stale_partials,
                            write_preview, write_qgis_style)


def predict_scene(model: SceneModel,
                  src_path: str,
                  dst_path: str,
                  window: int = 512,
                  overlap: int = 128,
                  bands: Optional[List[int]] = None,
                  batch: int = 4,
                  preview: Optional[str] = None,
                  confidence: Optional[str] = None,
                  progress: Optional[Callable[[int, int], None]] = None,
                  check_units: bool = True) -> dict:
    """Segment the GeoTIFF ``src_path`` into the uint8 GeoTIFF ``dst_path`` (which must not exist).

    The map is GIS-ready: tiled, deflate-compressed, with nearest-neighbour overviews, the
    model's palette as its colour table, the class names as band tags (``CLASS_<i>`` and
    ``classes``, a JSON list) and band description, and a QGIS style (``<map>.qml``) that shows
    the classes by name.

    Args:
        model: The model (:class:`SceneModel`).
        src_path: Input GeoTIFF.
        dst_path: Output map (must not exist).
        window: Window side in pixels.
        overlap: Overlap of neighbouring windows in pixels.
        bands: 0-based bands to read (all by default).
        batch: Windows per forward pass.
        preview: Also write a colour PNG preview here.
        confidence: Also write the top class's probability here (uint8, 1-255 for 0-1; nodata
            0 where the map is nodata; same grid).
        progress: Called with ``(windows done, windows in all)``.
        check_units: Refuse a scene in other units than the model's band means
            (:func:`check_scene_units`).

    Returns:
        dict: ``valid`` and ``nodata`` pixel counts, the ``classes`` and ``georeferenced``
        (False: the input has no CRS and the map is written without one, with a warning).

    Every output is written under a temporary name in its folder (:func:`partial_name`) and
    renamed when complete; on an error the partial files are removed, and a killed run leaves
    only hidden ``.partial`` files.

    Raises:
        ValueError: bad window settings, a band count the model does not take, an unreadable
            input, or an output that exists, collides with another or with the input, or has
            no folder (:func:`check_outputs`); the message names the file or argument.
    """
    if window < 16 or not 0 <= overlap < window:
        raise ValueError(f'need window >= 16 and 0 <= overlap < window, got {window}, {overlap}')
    if batch < 1:
        raise ValueError(f'need batch >= 1 window per forward pass, got {batch}')
    style = os.path.splitext(dst_path)[0] + '.qml'
    check_outputs(src_path, map=dst_path, confidence=confidence, preview=preview, style=style)
    # Every output is written under a temporary name beside it and renamed when complete: a
    # killed run leaves only .partial files, never a map that looks real, and blocks no rerun.
    final = dict(map=dst_path, confidence=confidence, preview=preview, style=style)
    for stale in (p for v in final.values() if v for p in remove_stale_partials(v)):
        warnings.warn(f'removed {stale}, left by a killed run of predict_scene')
    tmp = {k: partial_name(v) for k, v in final.items() if v}
    try:
        summary = _predict(model, src_path, tmp['map'], window, overlap, bands, batch,
                           tmp.get('preview'), tmp.get('confidence'), tmp['style'], progress,
                           check_units)
    except BaseException:
        for path in tmp.values():
            if os.path.exists(path):
                os.remove(path)  # our own partial outputs, never a user's file
        raise
    for key, path in tmp.items():
        if os.path.exists(path):
            if os.path.exists(final[key]):  # appeared while we ran: keep both, say so
                raise ValueError(f'{final[key]} appeared while predicting; the result is in {path}')
            os.replace(path, final[key])
    return summary


#: A scene band whose mean is this many times above or below the model's band mean holds other
#: units than the model was trained on (16-bit counts, reflectance in 0..1, 8-bit values).
UNIT_RATIO = 8.0
#: A band whose 99th percentile lies this many of the model's standard deviations above its mean
#: holds values the model never saw: 8-bit data cannot exceed (255 - 103.53) / 57.375 = 2.64
#: with the ImageNet statistics of the configs; the Landsat scene scaled x2 reaches 6.6 to 7.1,
#: x4 (10-bit) 15 to 16 (test_the_units_rule_on_the_real_scene_and_its_scaled_copies).
UNIT_SIGMAS = 5.0


def check_scene_units(src,
                      src_path: str,
                      bands: Sequence[int],
                      model_mean: np.ndarray,
                      model_std: Optional[np.ndarray] = None) -> None:
    """Refuse a scene whose values are in other units than the model's band means.

    The scene is read as it is (no scaling, whatever its dtype) and normalised by the model's
    mean and std, so a uint16 scene for a model of 8-bit images, or reflectance for a model of
    counts, would give a map of the wrong values without a word. An 8-bit scene for a model whose
    means are 8-bit values is never refused; otherwise each band's mean (on a decimated read of
    the valid pixels) must lie within a factor :data:`UNIT_RATIO` of the model's, and, given the
    model's std, its 99th percentile at most :data:`UNIT_SIGMAS` of them above the model's mean
    (the rule that catches a 10-bit scene for a model of 8-bit images, whose mean is only ~4x).

    Raises:
        ValueError: naming the file, the band, both means and the way out.
    """
    if src.dtypes[0] == 'uint8' and float(np.max(model_mean)) <= 255:
        return
    from rasterio.enums import Resampling
    from rasterio.errors import RasterioIOError
    scale = max(1, max(src.height, src.width) // 512)
    shape = (max(1, src.height // scale), max(1, src.width // scale))
    try:
        data = src.read([b + 1 for b in bands],
                        out_shape=(len(bands), ) + shape,
                        resampling=Resampling.nearest).astype(np.float64)
        valid = src.dataset_mask(out_shape=shape, resampling=Resampling.nearest) > 0
    except RasterioIOError as err:
        raise ValueError(f'reading {src_path} failed (corrupt or truncated GeoTIFF?): '
                         f'{err}') from None
    if not valid.any():
        return
    for i, band in enumerate(bands):
        ours, theirs = float(data[i][valid].mean()), float(model_mean[i])
        if theirs <= 0 or ours <= 0:
            continue
        ratio = ours / theirs
        if model_std is not None and float(model_std[i]) > 0:
            high = float(np.percentile(data[i][valid], 99))
            sigmas = (high - theirs) / float(model_std[i])
            if sigmas > UNIT_SIGMAS:
                raise ValueError(
                    f'{src_path}: band {band}: 1 % of its valid pixels are above {high:.4g} '
                    f'({src.dtypes[0]}), {sigmas:.1f} standard deviations above the mean the '
                    f'model normalises it with ({theirs:.4g} +- {float(model_std[i]):.4g}; more '
                    f'than {UNIT_SIGMAS:g} is never seen in data of the training units): the '
                    'scene is in other units (e.g. 10- or 16-bit counts for a model of 8-bit '
                    'images). Scale the scene to the training units; if the units do match, '
                    'skip this check (--skip-units-check)')
        if not 1 / UNIT_RATIO <= ratio <= UNIT_RATIO:
            raise ValueError(
                f'{src_path}: band {band} has mean {ours:.4g} ({src.dtypes[0]}) but the model '
                f'normalises it with mean {theirs:.4g}: the scene is in other units than the '
                'training data (16-bit counts for a model of 8-bit images, reflectance for '
                'counts, ...). Scale the scene to the training units, or train on data of '
                'these units (band statistics: the band_stats.py tool); if the '
                'units do match, skip this check (--skip-units-check)')


def _predict(model: SceneModel,
             src_path: str,
             dst_path: str,
             window: int,
             overlap: int,
             bands: Optional[List[int]],
             batch: int,
             preview: Optional[str],
             confidence: Optional[str],
             style: str,
             progress: Optional[Callable[[int, int], None]],
             check_units: bool = True) -> dict:
    """:func:`predict_scene`'s work, into the (temporary) paths given."""
    import rasterio
    from rasterio.enums import Resampling
    with open_geotiff(src_path) as src:
        chosen = check_bands(src_path, src.count, bands)
        if len(chosen) != model.in_channels or len(model.mean) != len(chosen):
            raise ValueError(
                f'{src_path} gives {len(chosen)} bands '
                f'({"bands " + str(bands) if bands else "all of them"}), but the model takes '
                f'{model.in_channels} (stem) with {len(model.mean)} band means; choose bands')
        if check_units:
            check_scene_units(src, src_path, chosen, model.mean, getattr(model, 'std', None))
        profile = dict(
            driver='GTiff',
            width=src.width,
            height=src.height,
            count=1,
            dtype='uint8',
            nodata=NODATA,
            tiled=True,
            blockxsize=256,
            blockysize=256,
            compress='deflate')
        if src.crs is None:
            warnings.warn(f'{src_path} has no georeference (no CRS): {dst_path} is written '
                          'without one')
        else:
            profile.update(crs=src.crs, transform=src.transform)
        try:
            with rasterio.open(dst_path, 'w', **profile) as dst, contextlib.ExitStack() as stack:
                conf = None
                if confidence:
                    conf = stack.enter_context(
                        rasterio.open(confidence, 'w', **dict(profile, nodata=0)))
                labels = predict_windows(model, src, chosen, dst, window, overlap, batch, conf,
                                         progress)
        except rasterio.errors.RasterioIOError as err:
            raise ValueError(f'reading {src_path} failed (corrupt or truncated GeoTIFF?): '
                             f'{err}') from None
    classes = list(model.classes or [])
    factors = overview_factors(profile['height'], profile['width'])
    with rasterio.open(dst_path, 'r+') as dst:
        dst.set_band_description(1, 'class')
        if classes:
            dst.update_tags(
                1, classes=json.dumps(classes), **{
                    f'CLASS_{i}': c
                    for i, c in enumerate(classes)
                })
        if model.palette:
            dst.write_colormap(1, {i: tuple(c) + (255, ) for i, c in enumerate(model.palette)})
        dst.build_overviews(factors, Resampling.nearest)
        dst.update_tags(ns='rio_overview', resampling='nearest')
        nodata = int((dst.read(1) == NODATA).sum())
    if confidence:
        with rasterio.open(confidence, 'r+') as conf:
            conf.set_band_description(1, 'top-class probability x 255')
            conf.build_overviews(factors, Resampling.average)
    if classes and model.palette:
        write_qgis_style(style, classes, model.palette)
    if preview:
        write_preview(preview, labels, model.palette)
    return dict(
        valid=profile['height'] * profile['width'] - nodata,
        nodata=nodata,
        classes=classes,
        georeferenced='crs' in profile)
