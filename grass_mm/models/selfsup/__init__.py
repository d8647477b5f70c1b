from .grass import GraSS

__all__ = ['GraSS']
