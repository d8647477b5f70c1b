from .grass_stage_hook import GraSSStageHook
from .grass_visualization_hook import GraSSVisualizationHook
from .knn_probe_hook import KNNProbeHook
from .pretrained_check_hook import PretrainedCheckHook, compare_with_checkpoint

__all__ = [
    'GraSSStageHook', 'GraSSVisualizationHook', 'KNNProbeHook', 'PretrainedCheckHook',
    'compare_with_checkpoint'
]
