"""grass_mm: GraSS gradient-guided contrastive pretraining as an OpenMMLab plugin.

Importing the package first applies the stack fixes in :mod:`grass_mm.utils.compat` (before
anything imports torchvision), then registers every component: the algorithm and hooks into
mmpretrain's registries, the segmentation datasets, the per-class IoU metric and the
pretrained-weights check into mmseg's, the CPU distributed wrapper into mmengine's.
"""
from . import utils  # noqa: F401  (must stay first: applies the stack fixes)
from . import datasets, engine, evaluation, models  # noqa: F401,E402  (registration side effects)
from .version import __version__, version_info  # noqa: E402

__all__ = ['__version__', 'version_info']
