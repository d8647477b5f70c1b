"""Low-label studies: a reproducible fraction of a segmentation training set."""
import numpy as np
from mmengine.dataset import BaseDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
def LabelFraction(dataset: dict, fraction: float, seed: int = 0) -> BaseDataset:
    """Build ``dataset`` and keep a random ``fraction`` of its images, chosen from ``seed``.

    The same seed always keeps the same images, and a smaller fraction's images are a subset of
    a larger fraction's (they are prefixes of one permutation), so label-fraction curves compare
    nested training sets. At least one image is kept.

    Example (config)::

        train_dataloader = dict(dataset=dict(
            type='LabelFraction', fraction=0.1, seed=0, dataset=dict(type='DubaiAerialDataset',
            ...)))

    Args:
        dataset: Config of the full training set.
        fraction: Share of images to keep, in ``(0, 1]``.
        seed: Seed of the choice.

    Returns:
        A dataset of the same class holding the chosen images (``BaseDataset.get_subset``).
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f'LabelFraction: fraction must be in (0, 1], got {fraction}')
    full = DATASETS.build(dataset)
    count = max(1, int(round(fraction * len(full))))
    order = np.random.default_rng(seed).permutation(len(full))
    return full.get_subset(sorted(order[:count].tolist()))
