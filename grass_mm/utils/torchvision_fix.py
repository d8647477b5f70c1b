"""Make ``import torchvision`` work on a CPU torch whatever a script imports first.

torchvision 0.28.0 on PyPI is a CUDA build. On a CPU torch its ``_C`` extension cannot load, and
``import torchvision`` then dies in ``_meta_registrations.py`` registering fake kernels for
``torchvision::nms``/``qnms``, whose schemas were never declared. Declaring the schemas first lets
the pure-Python parts of torchvision (what mmpretrain uses) import and work.

``import grass_mm`` declares them (:mod:`grass_mm.utils.compat`). For scripts that import
torchvision first, ``install_cpu.sh`` writes a ``.pth`` file into the venv that loads this
module by path (without importing grass_mm or torch) and calls :func:`install_import_hook`: a
finder that waits for the first ``import torchvision``, declares the schemas, and removes itself.
A script that never imports torchvision pays for one small file read at start-up.

This module imports only the standard library at load time; keep it that way.
"""
import glob
import importlib.abc
import importlib.util
import os.path as osp
import sys
from typing import Any, Optional

# Keeps the schema declarations alive: a torch.library.Library deregisters them when collected.
_torchvision_lib: Optional[Any] = None


def declare_torchvision_ops() -> bool:
    """Declare ``torchvision::nms``/``qnms`` if torchvision's compiled ops cannot load.

    Must run before torchvision is first imported. Returns True when the schemas were declared,
    False when nothing was needed (torchvision absent, already imported, or its ops load).
    """
    global _torchvision_lib
    # The hook has done its work once anyone declares (and find_spec below must not re-enter it).
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _BeforeTorchvision)]
    if _torchvision_lib is not None or 'torchvision' in sys.modules:
        return False
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return False
    import torch
    libs = glob.glob(osp.join(spec.submodule_search_locations[0], '_C*.so'))
    try:
        # Same call torchvision makes; loading twice is harmless where it works.
        torch.ops.load_library(libs[0])
        return False
    except (IndexError, OSError):
        pass
    lib = torch.library.Library('torchvision', 'DEF')
    lib.define('nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.define('qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor')
    _torchvision_lib = lib
    return True


class _BeforeTorchvision(importlib.abc.MetaPathFinder):
    """Runs :func:`declare_torchvision_ops` at the first ``import torchvision``, then leaves."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == 'torchvision':
            declare_torchvision_ops()  # removes this finder first
        return None  # the regular finders import torchvision itself


def install_import_hook() -> None:
    """Put the finder first on ``sys.meta_path`` (no-op once torchvision is imported)."""
    if 'torchvision' not in sys.modules and not any(
            isinstance(f, _BeforeTorchvision) for f in sys.meta_path):
        sys.meta_path.insert(0, _BeforeTorchvision())
