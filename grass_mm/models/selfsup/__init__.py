from .grass import GraSS
from .gs_byol import GSBYOL
from .gs_densecl import GSDenseCL
from .gs_mixin import GradientGuidedMixin
from .gs_mocov2 import GSMoCoV2

__all__ = ['GraSS', 'GSBYOL', 'GSDenseCL', 'GSMoCoV2', 'GradientGuidedMixin']
