from .regions import crop_and_resize, normalize_maps, random_positions, select_regions
from .sampler import GradientBoxSampler, RandomBoxSampler, Sampling, guide_maps

__all__ = [
    'GradientBoxSampler', 'RandomBoxSampler', 'Sampling', 'crop_and_resize', 'guide_maps',
    'normalize_maps', 'random_positions', 'select_regions'
]
