"""The speed benchmark (step time, selection cost and peak memory of GraSS and the GS twins
against their base methods, measured side by side) and the GPU cost of the presets, counted."""
from .measure import measure, measure_plugin
from .models import PLUGINS, SpeedSettings

__all__ = ['PLUGINS', 'SpeedSettings', 'measure', 'measure_plugin']
