from .per_class_iou import PerClassIoUMetric
from .probe import (DenseProbe, balanced_indices, confusion_matrix, fit_linear_probe, knn_predict,
                    majority_floor, scores)

__all__ = [
    'PerClassIoUMetric', 'DenseProbe', 'balanced_indices', 'confusion_matrix', 'fit_linear_probe',
    'knn_predict', 'majority_floor', 'scores'
]
