"""Statistics of paired benchmark differences: per seed, over folds, hierarchical bootstrap."""
from typing import Dict, Sequence, Tuple

import numpy as np


def hierarchical_bootstrap(diffs: Dict[int, Sequence[float]],
                           level: str = 'both',
                           draws: int = 10000,
                           seed: int = 0) -> Tuple[float, float]:
    """95 % interval of the mean paired difference, resampling seeds and then folds.

    Args:
        diffs (dict): Pretraining seed -> the paired differences of its folds.
        level (str): ``'both'`` (seeds with replacement, then folds within each drawn seed),
            ``'seeds'`` (folds kept) or ``'folds'`` (seeds kept). Comparing the widths of the
            two single levels says which one dominates the interval.
        draws (int): Bootstrap draws.
        seed (int): Generator seed (the interval is reproducible).

    Returns:
        tuple: The 2.5 and 97.5 percentiles of the resampled means.
    """
    if level not in ('both', 'seeds', 'folds'):
        raise ValueError(f"level must be 'both', 'seeds' or 'folds', got {level!r}")
    rng = np.random.default_rng(seed)
    groups = [np.asarray(v, dtype=float) for _, v in sorted(diffs.items())]
    means = np.empty(draws)
    for d in range(draws):
        picked = (
            rng.integers(0, len(groups), len(groups)) if level in ('both', 'seeds') else np.arange(
                len(groups)))
        parts = []
        for i in picked:
            g = groups[i]
            parts.append(g[rng.integers(0, len(g), len(g))] if level in ('both', 'folds') else g)
        means[d] = np.concatenate(parts).mean()
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def variance_split(diffs: Dict[int, Sequence[float]]) -> Dict[str, float]:
    """Between-seed and within-seed (fold) variance of paired differences.

    Returns:
        dict: ``between_seeds`` (variance of the seed means), ``within_seeds`` (mean fold
        variance in a seed, divided by the folds per seed: its share of a seed mean's variance).
    """
    groups = [np.asarray(v, dtype=float) for v in diffs.values()]
    means = np.array([g.mean() for g in groups])
    between = float(means.var(ddof=1)) if len(means) > 1 else float('nan')
    within = float(np.mean([g.var(ddof=1) / len(g) for g in groups if len(g) > 1]))
    return dict(between_seeds=between, within_seeds=within)
