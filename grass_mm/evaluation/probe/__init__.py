"""The dense probe family: read-outs (:mod:`.readouts`), what they read from a backbone
(:mod:`.features`), the labelled images (:mod:`.splits`), the one probe object
(:class:`DenseProbe`), its two protocols (:mod:`.folds`), their tables (:mod:`.tables`) and
what the online probe costs a pretraining (:mod:`.cost`)."""
from .dense_probe import DenseProbe, ProbeFeatures
from .features import (build_backbone, config_normalise, dense_features, normalise_with,
                       stage_features, window_embeddings)
from .folds import FoldSettings, probe_folds, probe_held_out
from .readouts import (balanced_indices, confusion_matrix, fit_linear_probe, knn_predict,
                       majority_floor, scores)
from .splits import class_windows, load_split
from .tables import fold_table, held_out_table, mean_std

__all__ = [
    'DenseProbe', 'ProbeFeatures', 'build_backbone', 'config_normalise', 'dense_features',
    'normalise_with', 'stage_features', 'window_embeddings', 'FoldSettings', 'probe_folds',
    'probe_held_out', 'balanced_indices', 'confusion_matrix', 'fit_linear_probe', 'knn_predict',
    'majority_floor', 'scores', 'class_windows', 'load_split', 'fold_table', 'held_out_table',
    'mean_std'
]
