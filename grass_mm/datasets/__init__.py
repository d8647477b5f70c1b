from .base import CheckedSegDataset, CheckLabelRange
from .dubai_aerial import (DUBAI_CLASSES, DUBAI_EVAL_CLASSES, DubaiAerialDataset,
                           convert_dubai_aerial, load_dubai_tiles)
from .label_fraction import LabelFraction
from .probe_patches import dominant_class_patches
from .synthetic import SYNTHETIC_CLASSES, SyntheticAerialDataset, generate_synthetic_aerial

__all__ = [
    'CheckedSegDataset', 'CheckLabelRange', 'DUBAI_CLASSES', 'DUBAI_EVAL_CLASSES',
    'DubaiAerialDataset', 'convert_dubai_aerial', 'load_dubai_tiles', 'LabelFraction',
    'dominant_class_patches', 'SYNTHETIC_CLASSES', 'SyntheticAerialDataset',
    'generate_synthetic_aerial'
]
