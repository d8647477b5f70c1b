"""The library form of what the tools do (mmseg's and mmpretrain's ``apis``)."""
from .scene_inference import NODATA, predict_scene
from .scene_model import SceneModel, predict_windows, tent
from .scene_outputs import check_outputs

__all__ = ['NODATA', 'SceneModel', 'check_outputs', 'predict_scene', 'predict_windows', 'tent']
