"""mmcv's ``LoadImageFromFile`` that names the file on every failure and reads 8-bit images only.

mmcv decodes with OpenCV's colour read, which turns a 16-bit image into 8 bits by dividing by 256
(12-bit data, 0..4095, become near-black 0..15 without a word), and a zero-byte file ends in
``cv2.error ... !buf.empty()`` with no file name. This loader keeps mmcv's behaviour for 8-bit files
and raises, naming the file, for an empty or undecodable file and for an image of more than 8 bits
per sample (16-bit or float PNG/TIFF), with the way to convert it (``make_patches.py --convert``: a
per-band 2-98 % stretch). It replaces ``LoadImageFromFile`` in mmpretrain's and mmseg's registries
when grass_mm is imported (:mod:`grass_mm.replacements`), so every pretraining, fine-tuning and
probe pipeline uses it; the configs do not change.
"""
import io
from typing import Optional

import cv2
import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmengine import fileio

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
CONVERT_HINT = ('convert it to 8 bits first with the dataset converter make_patches.py SRC OUT '
                '--convert (a per-band 2-98 % stretch)')


def bits_per_sample(data: bytes) -> Optional[str]:
    """``'16-bit'``, ``'32-bit float'``... for an image file of more than 8 bits per sample, or
    None (8-bit, or a format whose header says nothing: OpenCV decides)."""
    if data[:8] == PNG_SIGNATURE and len(data) > 24:
        depth = data[24]  # IHDR's bit depth
        return f'{depth}-bit' if depth > 8 else None
    if data[:4] in (b'II*\x00', b'MM\x00*'):
        try:
            from PIL import Image
            with Image.open(io.BytesIO(data)) as image:
                bits = image.tag_v2.get(258, (8, ))
                fmt = image.tag_v2.get(339, (1, ))  # SampleFormat: 3 is IEEE float
        except Exception:  # a TIFF PIL cannot read (float RGB, many bands): ask OpenCV
            decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            if decoded is None or decoded.dtype == np.uint8:
                return None
            return f'{decoded.dtype} ({decoded.dtype.itemsize * 8}-bit)'
        bits = max(bits) if isinstance(bits, tuple) else bits
        fmt = fmt[0] if isinstance(fmt, tuple) else fmt
        if fmt == 3:
            return f'{bits}-bit float'
        return f'{bits}-bit' if bits > 8 else None
    return None


class LoadImageFromFile(MMCVLoadImageFromFile):
    """mmcv's ``LoadImageFromFile``, with the file named on every failure, 8-bit images only.

    Args: as mmcv's.

    Raises:
        ValueError: An empty, undecodable or deeper-than-8-bit file, named.
    """

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            data = fileio.get(filename, backend_args=self.backend_args)
        except Exception as err:
            if self.ignore_empty:
                return None
            raise FileNotFoundError(f'{filename}: cannot read the image file ({err})') from err
        if not data:
            if self.ignore_empty:
                return None
            raise ValueError(f'{filename}: empty file (0 bytes), not an image')
        depth = bits_per_sample(data)
        if depth is not None:
            raise ValueError(f'{filename}: {depth} image; this loader reads 8-bit images '
                             "(OpenCV's colour read would divide 16-bit values by 256, so 12-bit "
                             f'data would become near-black): {CONVERT_HINT}')
        try:
            img = mmcv.imfrombytes(data, flag=self.color_type, backend=self.imdecode_backend)
        except Exception as err:
            if self.ignore_empty:
                return None
            raise ValueError(f'{filename}: not a decodable image ({err})') from err
        # mmcv's own message for an image OpenCV returns as None (truncated files).
        assert img is not None, f'failed to load image: {filename}'
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
