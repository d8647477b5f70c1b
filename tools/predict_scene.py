"""Segment a GeoTIFF scene of any size into a georeferenced uint8 GeoTIFF, window by window.

    python tools/predict_scene.py CONFIG CHECKPOINT INPUT.tif OUTPUT.tif \
        [--window 512] [--overlap 128] [--bands 0 1 2 3] [--preview preview.png]

A sliding window of ``--window`` pixels moves by ``window - overlap``; each window's logits are
weighted by a tent that falls towards the window's edges and summed, so overlapping windows blend
without seams. The scene is read one row of windows at a time and the output written as soon as
no later window can touch a row, so memory stays bounded by one row of windows whatever the
scene's size. The output has the input's CRS, transform and size, class indices as uint8, and
255 (its nodata) where the input is nodata. A scene without georeference is segmented with a
warning and written without CRS; a scene smaller than the window is one window. The output file
must not exist.
"""
import argparse
import os
import os.path as osp
import resource
import time
import warnings
from typing import List

import numpy as np
import torch

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.datasets.geotiff import check_bands, open_geotiff, window_starts
from grass_mm.utils.cli import existing_config, existing_file

NODATA = 255


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=existing_config, help='mmseg config of the model')
    parser.add_argument('checkpoint', type=existing_file, help='its trained checkpoint')
    parser.add_argument('input', type=existing_file, help='GeoTIFF scene')
    parser.add_argument('output', help='output GeoTIFF (must not exist)')
    parser.add_argument('--window', type=int, default=512, help='window side in pixels')
    parser.add_argument('--overlap', type=int, default=128, help='overlap of neighbouring windows')
    parser.add_argument('--bands', type=int, nargs='+', help='0-based bands to read (default all)')
    parser.add_argument('--batch', type=int, default=4, help='windows per forward pass')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--preview', help='also write a colour PNG preview (at most 1024 px)')
    args = parser.parse_args()
    if args.window < 16 or not 0 <= args.overlap < args.window:
        parser.error(f'need --window >= 16 and 0 <= --overlap < --window, got {args.window}, '
                     f'{args.overlap}')
    if osp.exists(args.output):
        parser.error(f'{args.output} exists; give a new output path (nothing is overwritten)')
    return args


def tent(length: int, overlap: int) -> np.ndarray:
    """Blending weights along one axis: 1 in the middle, falling linearly over ``overlap``
    pixels to 1 / (overlap + 1) at the edges (never 0, so every pixel has weight)."""
    ramp = np.minimum(np.arange(1, length + 1), np.arange(length, 0, -1)).astype(np.float32)
    return np.minimum(ramp / (overlap + 1), 1.0) if overlap else np.ones(length, np.float32)


class SceneModel:
    """An mmseg model as a function from ``[B, H, W, bands]`` windows to ``[B, C, H, W]`` logits."""

    def __init__(self, config: str, checkpoint: str, device: str) -> None:
        from mmseg.apis import init_model
        self.model = init_model(config, checkpoint, device=device)
        pre = self.model.data_preprocessor
        self.mean, self.std = pre.mean.float(), pre.std.float()  # [bands, 1, 1]
        self.fill = self.mean.view(-1).cpu().numpy()
        self.in_channels = next(m for m in self.model.backbone.modules()
                                if isinstance(m, torch.nn.Conv2d)).in_channels
        self.device = device
        self.palette = self.model.dataset_meta.get('palette')

    @torch.no_grad()
    def __call__(self, windows: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(windows).to(self.device).permute(0, 3, 1, 2).float()
        x = (x - self.mean) / self.std  # standardised, never clipped
        metas = [dict(img_shape=x.shape[2:], ori_shape=x.shape[2:], pad_shape=x.shape[2:])] * len(x)
        return self.model.encode_decode(x, metas).float().cpu().numpy()


def predict(model: SceneModel, src, bands: List[int], dst, window: int, overlap: int,
            batch: int) -> np.ndarray:
    """Segment ``src`` into ``dst`` row of windows by row; returns a small preview of labels."""
    from mmengine.utils import ProgressBar
    from rasterio.windows import Window
    height, width = src.height, src.width
    h, w = min(window, height), min(window, width)
    stride = window - overlap
    ys, xs = window_starts(height, window, stride), window_starts(width, window, stride)
    weight = tent(h, overlap)[:, None] * tent(w, overlap)[None, :]  # [h, w]
    indexes = [b + 1 for b in bands]
    step = max(1, max(height, width) // 1024)
    preview = np.full(((height + step - 1) // step, (width + step - 1) // step), NODATA, np.uint8)
    acc, wsum, top = None, np.zeros((h, width), np.float32), ys[0]
    progress = ProgressBar(len(ys) * len(xs))
    for i, y in enumerate(ys):
        tiles, places = [], []
        for x in xs:
            win = Window(x, y, w, h)
            data = src.read(indexes, window=win)  # [B, h, w]
            valid = (src.read_masks(indexes, window=win) > 0).all(axis=0)
            progress.update()
            if not valid.any():  # all nodata: nothing to predict, the output is nodata here
                continue
            tile = data.transpose(1, 2, 0).astype(np.float32)
            tile[~valid] = model.fill  # the band means: standardised to 0
            tiles.append(tile)
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
        valid = (src.read_masks(indexes, window=rows) > 0).all(axis=0)
        if acc is None:
            labels = np.full((done, width), NODATA, np.uint8)
        else:
            labels = acc[:, :done].argmax(0).astype(np.uint8)
        labels[~valid | (wsum[:done] == 0)] = NODATA
        dst.write(labels[None], window=rows)
        first = (-y) % step
        preview[(y + first) // step:(y + done + step - 1) // step] = labels[first::step, ::step]
        if acc is not None:
            acc = np.concatenate([acc[:, done:], np.zeros_like(acc[:, :done])], axis=1)
        wsum = np.concatenate([wsum[done:], np.zeros_like(wsum[:done])], axis=0)
        top = y + done
    assert top == height, (top, height)
    return preview


def write_preview(path: str, labels: np.ndarray, palette) -> None:
    import cv2
    colours = np.zeros((256, 3), np.uint8)  # nodata black
    for i, colour in enumerate(palette or []):
        colours[i] = colour
    cv2.imwrite(path, colours[labels][..., ::-1])


def main() -> None:
    start = time.perf_counter()
    args = parse_args()
    import rasterio
    try:
        src = open_geotiff(args.input)
    except ValueError as err:
        raise SystemExit(f'predict_scene: {err}')
    with src:
        try:
            bands = check_bands(args.input, src.count, args.bands)
        except ValueError as err:
            raise SystemExit(f'predict_scene: {err}')
        model = SceneModel(args.config, args.checkpoint, args.device)
        if len(bands) != model.in_channels or len(model.mean) != len(bands):
            raise SystemExit(
                f'predict_scene: {args.input} gives {len(bands)} bands '
                f'({"--bands " + str(args.bands) if args.bands else "all of them"}), but the '
                f'model of {args.config} takes {model.in_channels} (stem) with '
                f'{len(model.mean)} band means; choose bands with --bands')
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
            warnings.warn(f'{args.input} has no georeference (no CRS): {args.output} is written '
                          'without one')
        else:
            profile.update(crs=src.crs, transform=src.transform)
        print(f'predict_scene: {args.input} ({src.width} x {src.height} px, {len(bands)} bands) '
              f'-> {args.output}, window {args.window}, overlap {args.overlap}')
        try:
            with rasterio.open(args.output, 'w', **profile) as dst:
                preview = predict(model, src, bands, dst, args.window, args.overlap, args.batch)
        except rasterio.errors.RasterioIOError as err:
            os.remove(args.output)  # our own partial output, never a user's file
            raise SystemExit(f'predict_scene: reading {args.input} failed (corrupt or truncated '
                             f'GeoTIFF?): {err}')
    if args.preview:
        write_preview(args.preview, preview, model.palette)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(f'\npredict_scene: wrote {args.output}' +
          (f' and {args.preview}' if args.preview else '') +
          f' in {time.perf_counter() - start:.0f} s, peak RSS {peak:.2f} GiB')


if __name__ == '__main__':
    main()
