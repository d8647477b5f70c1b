from .checkpoint import extract_backbone
from .compat import (WEIGHTS_ONLY_ENV, declare_torchvision_ops, load_local_checkpoint,
                     weights_only_enforced)

__all__ = [
    'WEIGHTS_ONLY_ENV', 'declare_torchvision_ops', 'extract_backbone', 'load_local_checkpoint',
    'weights_only_enforced'
]
