"""Data transforms (mmengine's root ``TRANSFORMS``, reachable from mmpretrain and mmseg)."""
from .image_file import LoadImageFromFile
from .loading import LoadGeoTIFF, LoadGeoTIFFAnnotation
from .processing import RGBOnly
from .view_labels import LabelledMultiView, LabelledRandomResizedCrop, LoadViewLabel

__all__ = [
    'LoadImageFromFile', 'LabelledMultiView', 'LabelledRandomResizedCrop', 'LoadGeoTIFF',
    'LoadGeoTIFFAnnotation', 'LoadViewLabel', 'RGBOnly'
]
