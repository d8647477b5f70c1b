"""The library form of what the tools do (mmseg's and mmpretrain's ``apis``)."""
from .scene_inference import NODATA, SceneModel, check_outputs, predict_scene, predict_windows, tent

__all__ = ['NODATA', 'SceneModel', 'check_outputs', 'predict_scene', 'predict_windows', 'tent']
