"""Statistics of paired benchmark differences: per seed, over folds, two intervals, a verdict.

Two intervals are reported side by side. The hierarchical bootstrap (seeds, then folds) shows
which level the noise comes from, but with few pretraining seeds its seed level can never be
wider than the range of the seed means, so it is optimistic. The t-interval over the seed means
(``n - 1`` degrees of freedom) is the one the verdict reads: a difference is *established* only
when it excludes 0 with at least :data:`MIN_SEEDS` seeds.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from scipy import stats as st

#: Fewest pretraining seeds for which a verdict is given at all.
MIN_SEEDS = 3


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


def seed_means(diffs: Dict[int, Sequence[float]]) -> np.ndarray:
    """The mean over folds of each pretraining seed, in seed order."""
    return np.array([np.mean(v) for _, v in sorted(diffs.items())], dtype=float)


def t_interval(diffs: Dict[int, Sequence[float]],
               level: float = 0.95) -> Optional[Tuple[float, float]]:
    """Student-t interval of the mean difference over the seed means.

    The seed is the unit that was sampled independently (each seed has its own init and
    warm-up), so the seed means are the observations: ``mean ± t(level, n-1) * sd / sqrt(n)``.

    Args:
        diffs (dict): Pretraining seed -> the paired differences of its folds.
        level (float): Coverage of the interval.

    Returns:
        tuple | None: ``(low, high)``, or None with fewer than two seeds (no spread to read).
    """
    means = seed_means(diffs)
    if len(means) < 2:
        return None
    half = st.t.ppf(0.5 + level / 2, len(means) - 1) * means.std(ddof=1) / np.sqrt(len(means))
    return float(means.mean() - half), float(means.mean() + half)


def verdict(seeds: int, t_ci: Optional[Tuple[float, float]]) -> str:
    """The word a table prints for a difference: read from the t-interval only.

    Returns:
        str: ``'established'`` (at least :data:`MIN_SEEDS` seeds and the t-interval excludes 0),
        ``'not established'`` (enough seeds, the interval includes 0), or ``'one seed'`` /
        ``'two seeds'`` (too few seeds for any verdict).
    """
    if seeds < MIN_SEEDS or t_ci is None:
        return {1: 'one seed', 2: 'two seeds'}.get(seeds, f'{seeds} seeds')
    return 'established' if t_ci[0] > 0 or t_ci[1] < 0 else 'not established'


def seeds_needed(effect: float,
                 sd: float,
                 power: float = 0.8,
                 level: float = 0.95,
                 most: int = 1000) -> Optional[int]:
    """Fewest seeds whose t-test over seed means finds ``effect`` with the given power.

    Exact for normal seed means: the power of the two-sided one-sample t-test is read from the
    noncentral t distribution with ``n - 1`` degrees of freedom and noncentrality
    ``effect / (sd / sqrt(n))``.

    Args:
        effect (float): The true mean difference to detect.
        sd (float): Standard deviation of one seed's mean difference (between-seed spread).
        power (float): Wanted probability that the t-interval excludes 0.
        level (float): Coverage of the interval.
        most (int): Give up above this many seeds.

    Returns:
        int | None: The seed count, or None if more than ``most`` would be needed.
    """
    if sd <= 0:
        return MIN_SEEDS if effect != 0 else None
    for n in range(2, most + 1):
        crit = st.t.ppf(0.5 + level / 2, n - 1)
        nc = abs(effect) / (sd / np.sqrt(n))
        # The far tail (a significant result of the wrong sign) is negligible where scipy
        # returns nan for it (large noncentralities).
        got = st.nct.sf(crit, n - 1, nc) + np.nan_to_num(st.nct.cdf(-crit, n - 1, nc))
        if got >= power:
            return max(n, MIN_SEEDS)
    return None
