"""Data transforms (mmengine's root ``TRANSFORMS``, reachable from mmpretrain and mmseg)."""
from .loading import LoadGeoTIFF, LoadGeoTIFFAnnotation
from .processing import RGBOnly

__all__ = ['LoadGeoTIFF', 'LoadGeoTIFFAnnotation', 'RGBOnly']
