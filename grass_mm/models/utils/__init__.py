from .band_init import PretrainedBandsInit, adapt_band_weight, adapt_state_dict
from .boxes import crop_and_resize, place_boxes, random_positions
from .data_preprocessor import MultiBandDataPreprocessor
from .oracle import PlaceOracleSampler, SingleOracleSampler, SingleSizeRandomSampler
from .regions import normalize_maps, region_mask, select_regions
from .sampler import GradientBoxSampler, RandomBoxSampler, Sampling, guide_maps

__all__ = [
    'MultiBandDataPreprocessor', 'PretrainedBandsInit', 'adapt_band_weight', 'adapt_state_dict',
    'GradientBoxSampler', 'RandomBoxSampler', 'PlaceOracleSampler', 'SingleOracleSampler',
    'SingleSizeRandomSampler', 'Sampling', 'crop_and_resize', 'guide_maps', 'normalize_maps',
    'place_boxes', 'random_positions', 'region_mask', 'select_regions'
]
