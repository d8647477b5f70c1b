"""The library form of what the tools do (mmseg's and mmpretrain's ``apis``).

``train``, ``linear_probe`` and ``sampling_purity`` are the steps the benchmark runs in their own
processes (``python -m grass_mm.apis.<name>``; the tools call their ``main``); they are not
imported here.
"""
from .scene_inference import NODATA, predict_scene
from .scene_model import SceneModel, predict_windows, tent
from .scene_outputs import check_outputs

__all__ = ['NODATA', 'SceneModel', 'check_outputs', 'predict_scene', 'predict_windows', 'tent']
