from .sampling import denormalize, render_sampling, sampling_grid

__all__ = ['denormalize', 'render_sampling', 'sampling_grid']
