from .base import CheckedSegDataset, CheckLabelRange
from .dubai_aerial import (DUBAI_CLASSES, DUBAI_EVAL_CLASSES, DubaiAerialDataset,
                           convert_dubai_aerial, load_dubai_tiles)
from .label_fraction import LabelFraction
from .patches import cut_geotiff_patches
from .prepare import prepare_labelled_data
from .probe_patches import dominant_class_patches
from .raster import band_statistics, read_window
from .synthetic import (SYNTHETIC_CLASSES, SyntheticAerialDataset, generate_synthetic_aerial,
                        generate_synthetic_multispectral, write_large_synthetic_scene,
                        write_synthetic_scene)
from .transforms import LoadGeoTIFF, LoadGeoTIFFAnnotation, RGBOnly

__all__ = [
    'CheckedSegDataset', 'CheckLabelRange', 'DUBAI_CLASSES', 'DUBAI_EVAL_CLASSES',
    'DubaiAerialDataset', 'convert_dubai_aerial', 'load_dubai_tiles', 'LabelFraction',
    'dominant_class_patches', 'prepare_labelled_data', 'LoadGeoTIFF', 'LoadGeoTIFFAnnotation',
    'RGBOnly', 'band_statistics', 'cut_geotiff_patches', 'read_window', 'SYNTHETIC_CLASSES',
    'SyntheticAerialDataset', 'generate_synthetic_aerial', 'generate_synthetic_multispectral',
    'write_large_synthetic_scene', 'write_synthetic_scene'
]
