"""grass_mm: GraSS gradient-guided contrastive pretraining as an OpenMMLab plugin.

Importing the package applies the stack fixes in :mod:`grass_mm.utils.compat` (before anything
imports torchvision) and registers every component: the algorithm, transforms, hooks and
datasets into mmpretrain's registries, the segmentation datasets and hooks into mmseg's.
"""
from .utils import compat as _compat

_compat.apply()

from . import datasets, engine, models  # noqa: E402,F401  (registration side effects)
from .version import __version__, version_info  # noqa: E402

__all__ = ['__version__', 'version_info']
