from .grass import GraSS, Sampling

__all__ = ['GraSS', 'Sampling']
