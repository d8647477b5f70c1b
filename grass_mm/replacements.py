"""Every upstream component grass_mm replaces, registered here and nowhere else.

Each replacement is registered under the upstream name, so configs and upstream code use it
unchanged, into exactly the registries that would otherwise hand out the upstream one:

- ``LoadImageFromFile`` (:mod:`grass_mm.datasets.transforms.image_file`) in mmpretrain's and
  mmseg's ``TRANSFORMS``: mmcv's names no file when a read fails and turns 12- and 16-bit images
  into near-black 8-bit ones without a word. Both registries define their own entry, so the
  root one would never be reached.
- ``LoadAnnotations`` (:mod:`grass_mm.datasets.base`) in mmseg's ``TRANSFORMS`` (mmpretrain has
  no segmentation labels): mmseg's names no file for a corrupt label map, and lets a label map
  of another size than its image go on until a crop fails.
- The checkpoint loader for local paths (mmengine's ``CheckpointLoader`` scheme ``''``):
  mmengine unpickles checkpoints fully; :func:`grass_mm.utils.compat.load_local_checkpoint`
  loads them ``weights_only=True`` with an allow-list, so opening a checkpoint never runs code.
- The ``local`` file backend (mmengine's ``register_backend``): mmengine's writes in place, so a
  killed save leaves a truncated checkpoint under its real name;
  :class:`grass_mm.utils.compat.AtomicLocalBackend` writes to a temporary name and renames.

New components (datasets, transforms, hooks, models, metrics) are not replacements: each
registers itself with ``@register_module()`` where it is defined, into mmengine's root registry
(which mmpretrain's and mmseg's fall back to) or, for models and metrics, into the registry of
the library whose Runner builds them.
"""


def register_replacements() -> None:
    """Register every replacement (idempotent: ``force=True`` replaces the entry again)."""
    from mmengine.fileio import io
    from mmengine.fileio.backends import register_backend
    from mmengine.runner.checkpoint import CheckpointLoader
    from mmpretrain.registry import TRANSFORMS as PRETRAIN_TRANSFORMS
    from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS

    from .datasets.base import LoadAnnotations
    from .datasets.transforms.image_file import LoadImageFromFile
    from .utils.compat import AtomicLocalBackend, load_local_checkpoint

    for registry in (PRETRAIN_TRANSFORMS, SEG_TRANSFORMS):
        registry.register_module(name='LoadImageFromFile', module=LoadImageFromFile, force=True)
    SEG_TRANSFORMS.register_module(name='LoadAnnotations', module=LoadAnnotations, force=True)
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    io.backend_instances.clear()  # none made before this one stays in use
