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
import torch

from grass_mm.datasets.raster import band_masks, check_bands, open_geotiff
from grass_mm.datasets.windows import window_starts
from grass_mm.utils.checkpoint import state_mismatches

NODATA = 255


def tent(length: int, overlap: int) -> np.ndarray:
    """Blending weights along one axis: 1 in the middle, falling linearly over ``overlap``
    pixels to 1 / (overlap + 1) at the edges (never 0, so every pixel has weight)."""
    ramp = np.minimum(np.arange(1, length + 1), np.arange(length, 0, -1)).astype(np.float32)
    return np.minimum(ramp / (overlap + 1), 1.0) if overlap else np.ones(length, np.float32)


class SceneModel:
    """An mmseg model as a function from ``[B, H, W, bands]`` windows to ``[B, C, H, W]`` logits.

    Windows hold the raster's bands in file order (RGB for an RGB GeoTIFF). They go through the
    model's own ``data_preprocessor`` (normalisation, padding); a preprocessor that converts
    BGR to RGB (``bgr_to_rgb=True``, for images read by OpenCV) gets 3-band windows flipped to
    BGR first, so it sees what ``LoadImageFromFile`` gave it in training.

    Args:
        config (str): mmseg config of the model.
        checkpoint (str): Its trained checkpoint.
        device (str): ``'cpu'`` or ``'cuda'``.
    """

    def __init__(self, config: str, checkpoint: str, device: str = 'cpu') -> None:
        from mmengine.runner.checkpoint import _load_checkpoint
        from mmseg.apis import init_model
        self.model = init_model(config, checkpoint, device=device)
        # init_model loads with strict=False and only logs what does not fit: a checkpoint of
        # another depth, or a pretraining checkpoint without a decode head, would map noise.
        state = _load_checkpoint(checkpoint, map_location='cpu')
        problems = state_mismatches(self.model.state_dict(), state.get('state_dict', state))
        if problems:
            hint = (' It holds no decode head: a pretraining checkpoint? Fine-tune it first '
                    '(tools/train.py with a segmentation config).' if
                    not any(k.startswith('decode_head.') for k in state.get('state_dict', state))
                    else ' Is it from another config (depth, head, classes)?')
            raise ValueError(f'{checkpoint} does not fit the model of {config}: '
                             f'{len(problems)} differences, e.g. ' + '; '.join(problems[:5]) + '.' +
                             hint)
        pre = self.model.data_preprocessor
        self.flip = bool(getattr(pre, 'channel_conversion', False))
        # The preprocessor's mean is in the order it normalises in: RGB after its conversion,
        # which is the windows' file order, so it fills nodata holes as it is (standardised: 0).
        self.mean = pre.mean.float().view(-1).cpu().numpy()
        self.fill = self.mean
        self.in_channels = next(m for m in self.model.backbone.modules()
                                if isinstance(m, torch.nn.Conv2d)).in_channels
        self.device = device
        self.palette = self.model.dataset_meta.get('palette')
        self.classes = self.model.dataset_meta.get('classes')

    @torch.no_grad()
    def __call__(self, windows: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(windows).to(self.device).permute(0, 3, 1, 2).float()
        if self.flip and x.shape[1] == 3:
            x = x.flip(1)  # RGB file order -> the BGR the preprocessor converts back
        data = self.model.data_preprocessor(dict(inputs=list(x)), training=False)
        x = data['inputs']  # standardised (never clipped), maybe padded
        shape = x.shape[2:]
        metas = [dict(img_shape=shape, ori_shape=shape, pad_shape=shape)] * len(x)
        logits = self.model.encode_decode(x, metas).float()
        return logits[..., :windows.shape[1], :windows.shape[2]].cpu().numpy()


def predict_windows(model,
                    src,
                    bands: List[int],
                    dst,
                    window: int,
                    overlap: int,
                    batch: int,
                    confidence=None,
                    progress: Optional[Callable[[int, int], None]] = None) -> np.ndarray:
    """Segment the open raster ``src`` into ``dst`` row of windows by row.

    A pixel is predicted where the raster's dataset mask says it holds data (any chosen band
    valid; :mod:`grass_mm.datasets.raster`); a band at its nodata value in such a pixel is filled
    with the model's mean of that band. Elsewhere the output is :data:`NODATA`.

    Args:
        model (callable): ``[B, h, w, bands]`` float windows -> ``[B, C, h, w]`` logits, with a
            ``fill`` (per band) for nodata pixels (a :class:`SceneModel`).
        src: An open rasterio dataset.
        bands (list[int]): 0-based bands to read.
        dst: An open rasterio dataset to write uint8 labels into (same grid).
        window (int): Window side in pixels.
        overlap (int): Overlap of neighbouring windows.
        batch (int): Windows per forward pass.
        confidence: An open rasterio dataset (same grid, uint8) for the top class's probability
            of the blended logits, scaled to 1-255; 0 (its nodata) where the map is nodata.
        progress (callable): Called with ``(windows done, windows in all)`` after each window.

    Returns:
        np.ndarray: A preview of the labels, at most ~1024 px on its longer side.
    """
    from rasterio.windows import Window
    height, width = src.height, src.width
    h, w = min(window, height), min(window, width)
    stride = window - overlap
    ys, xs = window_starts(height, window, stride), window_starts(width, window, stride)
    weight = tent(h, overlap)[:, None] * tent(w, overlap)[None, :]  # [h, w]
    indexes = [b + 1 for b in bands]
    fill = np.asarray(model.fill, np.float32)
    step = max(1, max(height, width) // 1024)
    preview = np.full(((height + step - 1) // step, (width + step - 1) // step), NODATA, np.uint8)
    acc, wsum, top = None, np.zeros((h, width), np.float32), ys[0]
    for i, y in enumerate(ys):
        tiles, places = [], []
        for j, x in enumerate(xs):
            win = Window(x, y, w, h)
            masks = band_masks(src, indexes, win)  # [B, h, w]
            if progress is not None:
                progress(i * len(xs) + j + 1, len(ys) * len(xs))
            if not masks.any():  # all nodata: nothing to predict, the output is nodata here
                continue
            tile = src.read(indexes, window=win).transpose(1, 2, 0).astype(np.float32)
            # Band holes and invalid pixels alike: the band means, standardised to 0.
            tiles.append(np.where(masks.transpose(1, 2, 0), tile, fill))
            places.append(x)
        for start in range(0, len(tiles), batch):
            logits = model(np.stack(tiles[start:start + batch]))  # [b, C, h, w]
            if acc is None:
                acc = np.zeros((logits.shape[1], h, width), np.float32)
            for x, logit in zip(places[start:start + batch], logits):
                acc[:, :, x:x + w] += logit * weight
                wsum[:, x:x + w] += weight
        # Rows [y, next y) can no longer change: write them and slide the buffers down.
        done = (ys[i + 1] if i + 1 < len(ys) else y + h) - y
        rows = Window(0, y, width, done)
        invalid = ~band_masks(src, indexes, rows).any(0) | (wsum[:done] == 0)
        if acc is None:
            labels = np.full((done, width), NODATA, np.uint8)
        else:
            labels = acc[:, :done].argmax(0).astype(np.uint8)
        labels[invalid] = NODATA
        dst.write(labels[None], window=rows)
        if confidence is not None:
            confidence.write(top_probability(acc, wsum, done, invalid)[None], window=rows)
        first = (-y) % step
        preview[(y + first) // step:(y + done + step - 1) // step] = labels[first::step, ::step]
        if acc is not None:
            acc = np.concatenate([acc[:, done:], np.zeros_like(acc[:, :done])], axis=1)
        wsum = np.concatenate([wsum[done:], np.zeros_like(wsum[:done])], axis=0)
        top = y + done
    assert top == height, (top, height)
    return preview


def top_probability(acc: Optional[np.ndarray], wsum: np.ndarray, rows: int,
                    invalid: np.ndarray) -> np.ndarray:
    """uint8 ``[rows, W]``: the softmax of the blended (weight-averaged) logits at the top
    class, scaled to 1-255 (it is at least 1 / classes, so never 0); 0 where ``invalid``."""
    out = np.zeros(invalid.shape, np.uint8)
    if acc is None:
        return out
    logits = acc[:, :rows] / np.maximum(wsum[:rows], 1e-12)
    logits = logits - logits.max(0, keepdims=True)
    prob = 1.0 / np.exp(logits).sum(0)  # exp(top - top) / sum
    out[:] = np.clip(np.rint(prob * 255), 1, 255)
    out[invalid] = 0
    return out


def write_preview(path: str, labels: np.ndarray, palette: Optional[Sequence]) -> None:
    """A colour PNG of ``labels`` with the model's palette (nodata black)."""
    import cv2
    colours = np.zeros((256, 3), np.uint8)  # nodata black
    for i, colour in enumerate(palette or []):
        colours[i] = colour
    cv2.imwrite(path, colours[labels][..., ::-1])


def write_qgis_style(path: str, classes: Sequence[str], palette: Sequence) -> None:
    """A QGIS layer style beside the map (``<map>.qml``, which QGIS loads with the layer): a
    paletted renderer that shows each class in its colour under its name."""
    from xml.sax.saxutils import quoteattr
    entries = '\n'.join(
        f'        <paletteEntry value="{i}" color="#{r:02x}{g:02x}{b:02x}" alpha="255" '
        f'label={quoteattr(str(name))}/>'
        for i, (name, (r, g, b)) in enumerate(zip(classes, palette)))
    with open(path, 'x') as f:
        f.write("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                '<qgis styleCategories="Symbology">\n  <pipe>\n'
                '    <rasterrenderer type="paletted" band="1" opacity="1">\n'
                f'      <colorPalette>\n{entries}\n      </colorPalette>\n'
                '    </rasterrenderer>\n  </pipe>\n</qgis>\n')


def overview_factors(height: int, width: int, smallest: int = 256) -> List[int]:
    """2, 4, 8, ... until the overview's longer side is below ``smallest`` pixels."""
    factors, factor = [], 2
    while max(height, width) / factor >= smallest:
        factors.append(factor)
        factor *= 2
    return factors or [2]


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
    style = os.path.splitext(dst_path)[0] + '.qml'
    check_outputs(src_path, map=dst_path, confidence=confidence, preview=preview, style=style)
    # Every output is written under a temporary name beside it and renamed when complete: a
    # killed run leaves only .partial files, never a map that looks real, and blocks no rerun.
    final = dict(map=dst_path, confidence=confidence, preview=preview, style=style)
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


def partial_name(path: str) -> str:
    """The temporary name an output is written under: hidden, beside it, same extension."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    return os.path.join(folder, f'.{stem}.partial-{os.getpid()}{ext}')


def check_outputs(src_path: str, **outputs: Optional[str]) -> None:
    """Refuse, before any work, outputs that exist, collide with each other or with the input,
    or go to a folder that does not exist.

    Args:
        src_path: The input (never written).
        **outputs: Role -> path (None: not written), e.g. ``map=..., preview=...``.

    Raises:
        ValueError: naming the path and what is wrong.
    """
    seen = {os.path.abspath(src_path): 'the input'}
    for role, path in outputs.items():
        if not path:
            continue
        full = os.path.abspath(path)
        if full in seen:
            raise ValueError(f'{path}: the {role} output would replace {seen[full]}; give '
                             'each output its own path')
        seen[full] = f'the {role} output'
        folder = os.path.dirname(full)
        if not os.path.isdir(folder):
            raise ValueError(f'{path}: the folder {folder} does not exist (create it first)')
        if os.path.exists(full):
            raise ValueError(f'{path} exists; give a new output path (nothing is overwritten)')


#: A scene band whose mean is this many times above or below the model's band mean holds other
#: units than the model was trained on (16-bit counts, reflectance in 0..1, 8-bit values).
UNIT_RATIO = 8.0


def check_scene_units(src, src_path: str, bands: Sequence[int], model_mean: np.ndarray) -> None:
    """Refuse a scene whose values are in other units than the model's band means.

    The scene is read as it is (no scaling, whatever its dtype) and normalised by the model's
    mean and std, so a uint16 scene for a model of 8-bit images, or reflectance for a model of
    counts, would give a map of the wrong values without a word. An 8-bit scene for a model whose
    means are 8-bit values is never refused; otherwise each band's mean (on a decimated read of
    the valid pixels) must lie within a factor :data:`UNIT_RATIO` of the model's.

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
        if not 1 / UNIT_RATIO <= ratio <= UNIT_RATIO:
            raise ValueError(
                f'{src_path}: band {band} has mean {ours:.4g} ({src.dtypes[0]}) but the model '
                f'normalises it with mean {theirs:.4g}: the scene is in other units than the '
                'training data (16-bit counts for a model of 8-bit images, reflectance for '
                'counts, ...). Scale the scene to the training units, or train on data of '
                'these units (band statistics: tools/analysis_tools/band_stats.py); if the '
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
            check_scene_units(src, src_path, chosen, model.mean)
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
