"""The model side of scene inference: an mmseg model as a function of raster windows, and the
window loop that blends their logits (:func:`grass_mm.apis.predict_scene` reads and writes the
GeoTIFFs around it)."""
import warnings
from typing import Callable, List, Optional, Tuple

import numpy as np
import torch

from grass_mm.datasets.raster import band_masks
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
        from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model
        from mmseg.apis import init_model

        # The weights are loaded here, not by init_model: it fails on a checkpoint without
        # ``meta`` and gives one without ``dataset_meta`` another dataset's names (class_names).
        self.model = init_model(config, None, device=device)
        state = _load_checkpoint(checkpoint, map_location='cpu')
        # Loading is strict=False and only logs what does not fit: a checkpoint of another
        # depth, or a pretraining checkpoint without a decode head, would map noise.
        problems = state_mismatches(self.model.state_dict(), state.get('state_dict', state))
        if problems:
            hint = (' It holds no decode head: a pretraining checkpoint? Fine-tune it first '
                    '(train.py with a segmentation config).' if
                    not any(k.startswith('decode_head.') for k in state.get('state_dict', state))
                    else ' Is it from another config (depth, head, classes)?')
            raise ValueError(f'{checkpoint} does not fit the model of {config}: '
                             f'{len(problems)} differences, e.g. ' + '; '.join(problems[:5]) + '.' +
                             hint)
        _load_checkpoint_to_model(self.model, state)
        pre = self.model.data_preprocessor
        self.flip = bool(getattr(pre, 'channel_conversion', False))
        # The preprocessor's mean is in the order it normalises in: RGB after its conversion,
        # which is the windows' file order, so it fills nodata holes as it is (standardised: 0).
        self.mean = pre.mean.float().view(-1).cpu().numpy()
        self.std = pre.std.float().view(-1).cpu().numpy()
        self.fill = self.mean
        self.in_channels = next(m for m in self.model.backbone.modules()
                                if isinstance(m, torch.nn.Conv2d)).in_channels
        self.device = device
        self.classes, self.palette, self.names_from = class_names(
            state.get('meta') or {}, self.model.cfg, self.model.decode_head.num_classes)
        if self.names_from == 'none':
            warnings.warn(f'{checkpoint}: neither its meta nor the config {config} names the '
                          f'{len(self.classes)} classes; the map calls them class_0.. '
                          f'class_{len(self.classes) - 1}')

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


def class_names(meta: dict, cfg, num_classes: int) -> Tuple[list, list, str]:
    """The model's own class names and palette, never another dataset's.

    mmseg's ``init_model`` gives a checkpoint without ``dataset_meta`` the names of the first
    dataset with as many classes, else Cityscapes' 19: a 5-class map would carry Cityscapes'
    legend. Here: the checkpoint's ``meta.dataset_meta`` (or mmseg 0.x ``CLASSES``/``PALETTE``),
    else the config's training dataset (its ``metainfo``, else its class's ``METAINFO``), else
    ``class_0..N-1``; a source whose count differs from the decode head's is passed over.

    Returns:
        The names, the palette (one RGB triple each) and where they came from: ``'checkpoint'``,
        ``'config'`` or ``'none'``.
    """
    sources = [('checkpoint', meta.get('dataset_meta')
                or dict(classes=meta.get('CLASSES'), palette=meta.get('PALETTE')))]
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    while 'dataset' in dataset and 'type' in dataset and 'Repeat' in str(dataset['type']):
        dataset = dataset['dataset']  # RepeatDataset and friends wrap the real one
    info = dict(dataset.get('metainfo') or {})
    if dataset.get('type') and not info.get('classes'):
        from mmseg.registry import DATASETS
        try:
            info = dict(getattr(DATASETS.get(dataset['type']), 'METAINFO', {}))
        except KeyError:
            info = {}
    sources.append(('config', info))
    for name, source in sources:
        classes = list(source.get('classes') or [])
        if len(classes) == num_classes:
            palette = [list(map(int, c)) for c in source.get('palette') or []]
            if len(palette) != num_classes:
                palette = _palette(num_classes)
            return classes, palette, name
    return [f'class_{i}' for i in range(num_classes)], _palette(num_classes), 'none'


def _palette(n: int) -> list:
    """A fixed palette of ``n`` distinct-enough colours (seeded, so every map agrees)."""
    return np.random.default_rng(0).integers(32, 256, (n, 3)).tolist()
