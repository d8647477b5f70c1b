from .regions import crop_and_resize, normalize_maps, random_positions, select_regions

__all__ = ['crop_and_resize', 'normalize_maps', 'random_positions', 'select_regions']
