"""The library form of what the tools do (mmseg's and mmpretrain's ``apis``): functions that
take arguments and return results, with no argument parsing and no knowledge of a checkout (the
command lines are :mod:`grass_mm.cli`).

:mod:`.train` (prepare, claim, train) and :mod:`.sampling_purity` are imported by their command
lines, not here: importing them builds nothing, but they pull in the Runner and the models.
"""
from .scene_inference import NODATA, predict_scene
from .scene_model import SceneModel, predict_windows, tent
from .scene_outputs import check_outputs

__all__ = ['NODATA', 'SceneModel', 'check_outputs', 'predict_scene', 'predict_windows', 'tent']
