from .per_class_iou import PerClassIoUMetric
from .probes import (balanced_indices, confusion_matrix, fit_linear_probe, knn_predict,
                     majority_floor, pooled_embeddings, scores)

__all__ = [
    'PerClassIoUMetric', 'balanced_indices', 'confusion_matrix', 'fit_linear_probe', 'knn_predict',
    'majority_floor', 'pooled_embeddings', 'scores'
]
