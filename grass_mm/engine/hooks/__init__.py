from .grass_stage_hook import GraSSStageHook
from .pretrained_check_hook import PretrainedCheckHook, compare_with_checkpoint

__all__ = ['GraSSStageHook', 'PretrainedCheckHook', 'compare_with_checkpoint']
