# The stack fixes come first: the imports below (mmengine.runner, ...) may pull in torchvision.
from . import compat
from .compat import TRUST_ENV, declare_torchvision_ops, load_local_checkpoint

compat.apply()

from .checkpoint import extract_backbone, load_backbone_state, weights_sha256  # noqa: E402
from .config import scale_iters, scale_schedule, set_workers, update_transforms  # noqa: E402
from .console import quiet  # noqa: E402
from .dist import CPUDistributedDataParallel, setup_cpu_distributed  # noqa: E402

__all__ = [
    'CPUDistributedDataParallel', 'TRUST_ENV', 'declare_torchvision_ops', 'extract_backbone',
    'load_backbone_state', 'load_local_checkpoint', 'quiet', 'scale_iters', 'scale_schedule',
    'set_workers', 'setup_cpu_distributed', 'update_transforms', 'weights_sha256'
]
