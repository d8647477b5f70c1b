"""Training hooks.

Registry policy: every hook registers in mmengine's root ``HOOKS``, which the mmpretrain and mmseg
registries fall back to, so one ``custom_hooks`` entry works under either scope. Hooks reach the
model through ``mmpretrain.utils.get_ori_model`` (DDP-wrapped or not) and read run settings
from ``runner.cfg``, never from the runner's private attributes.
"""
from .batch_digest_hook import BatchDigestHook, batch_digest
from .checkpoint_match_hook import CheckpointMatchHook
from .console_progress_hook import ConsoleProgressHook
from .dense_probe_hook import DenseProbeHook
from .grass_stage_hook import GraSSStageHook
from .grass_visualization_hook import GraSSVisualizationHook
from .knn_probe_hook import KNNProbeHook
from .non_finite_loss_hook import NonFiniteLossHook
from .preemption_hook import PreemptionHook
from .pretrained_check_hook import PretrainedCheckHook, compare_with_checkpoint
from .run_id_hook import RunIdHook

__all__ = [
    'BatchDigestHook', 'batch_digest', 'CheckpointMatchHook', 'ConsoleProgressHook',
    'DenseProbeHook', 'GraSSStageHook', 'GraSSVisualizationHook', 'KNNProbeHook',
    'NonFiniteLossHook', 'PreemptionHook', 'PretrainedCheckHook', 'RunIdHook',
    'compare_with_checkpoint'
]
