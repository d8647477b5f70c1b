import numpy as np
import pytest

from grass_mm.benchmark.record import paired_diffs
from grass_mm.benchmark.stats import hierarchical_bootstrap, variance_split


def test_constant_differences_give_a_point_interval():
    low, high = hierarchical_bootstrap({0: [1.5] * 7, 1: [1.5] * 7}, draws=200)
    assert low == pytest.approx(1.5) and high == pytest.approx(1.5)


def test_levels_see_their_own_variance():
    # Seeds differ a lot, folds inside a seed not at all: resampling folds alone cannot move
    # the mean, resampling seeds does.
    diffs = {0: [-2.0] * 7, 1: [0.0] * 7, 2: [5.0] * 7}
    folds = hierarchical_bootstrap(diffs, 'folds', draws=500)
    seeds = hierarchical_bootstrap(diffs, 'seeds', draws=500)
    both = hierarchical_bootstrap(diffs, 'both', draws=500)
    assert folds[0] == pytest.approx(folds[1])
    assert seeds[1] - seeds[0] > 3 and both[1] - both[0] > 3
    split = variance_split(diffs)
    assert split['within_seeds'] == 0 and split['between_seeds'] == pytest.approx(
        np.var([-2, 0, 5], ddof=1))


def test_an_interval_that_should_exclude_zero_does():
    rng = np.random.default_rng(0)
    diffs = {s: list(2.0 + rng.normal(0, 0.5, 7)) for s in range(3)}
    low, high = hierarchical_bootstrap(diffs, draws=2000)
    assert 0 < low < 2.0 < high


def test_bad_level_is_named():
    with pytest.raises(ValueError, match="'both', 'seeds' or 'folds'"):
        hierarchical_bootstrap({0: [1.0]}, level='tiles')


def test_paired_diffs_use_only_what_both_arms_have():
    a = {0: {1: 10.0, 2: 12.0}, 1: {1: 11.0}}
    b = {0: {1: 9.0, 2: 13.0, 3: 1.0}, 2: {1: 0.0}}
    assert paired_diffs(a, b) == {0: [1.0, -1.0]}


def test_digest_check_compares_the_same_iterations_and_names_resumed_arms():
    from mmengine.config import Config

    from grass_mm.benchmark.record import digest_check
    matrix = Config(
        dict(arms=dict(a=dict(from_='warmup'), b=dict(from_='warmup'), c=dict(from_='warmup'))))

    def cell(name, start, digest):
        batches = [dict(iter=start, digest=digest), dict(iter=start + 1, digest=digest + 'x')]
        return dict(kind='digest', name=name, pretrain_seed=0, metrics=dict(batches=batches))

    text = digest_check([cell('a', 24, 'aa'), cell('b', 24, 'aa'), cell('c', 216, 'zz')], matrix)
    assert 'of a, b are byte-identical' in text
    assert 'c resumed after an interruption' in text and 'iteration 216' in text
    text = digest_check([cell('a', 24, 'aa'), cell('b', 24, 'bb')], matrix)
    assert 'of a, b are NOT identical' in text
