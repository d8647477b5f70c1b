"""grass_mm: GraSS gradient-guided contrastive pretraining as an OpenMMLab plugin.

Importing the package first applies the stack fixes that patch functions
(:mod:`grass_mm.utils.compat`, before anything imports torchvision), then imports the rooms whose
components register themselves where they are defined: the transforms and hooks into mmengine's root
registries (which mmpretrain's and mmseg's fall back to), the band-aware weight initialiser into
mmengine's ``WEIGHT_INITIALIZERS``, the CPU distributed wrapper into its ``MODEL_WRAPPERS``, the
models and samplers into mmpretrain's ``MODELS``, the datasets and the per-class IoU metric into
mmseg's ``DATASETS`` and ``METRICS``. Last, :mod:`grass_mm.replacements` registers the upstream
components it replaces (``LoadImageFromFile``, ``LoadAnnotations``, the checkpoint loader and the
local file backend), each in the registries that need it.
"""
from . import utils  # noqa: F401  (must stay first: applies the stack fixes)
from . import datasets, engine, evaluation, models  # noqa: F401,E402  (registration side effects)
from .replacements import register_replacements  # noqa: E402
from .version import __version__, version_info  # noqa: E402

register_replacements()

__all__ = ['__version__', 'version_info']
