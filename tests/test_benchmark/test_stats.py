import numpy as np
import pytest

from grass_mm.benchmark.stats import (hierarchical_bootstrap, seeds_needed, t_interval,
                                      variance_split, verdict)
from grass_mm.benchmark.tables import paired_diffs


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
    from grass_mm.benchmark.reproduce import digest_check
    matrix = dict(warmup=['a', 'b', 'c'])

    def cell(name, start, digest):
        batches = [dict(iter=start, digest=digest), dict(iter=start + 1, digest=digest + 'x')]
        return dict(kind='digest', name=name, pretrain_seed=0, metrics=dict(batches=batches))

    text = digest_check([cell('a', 24, 'aa'), cell('b', 24, 'aa'), cell('c', 216, 'zz')], matrix)
    assert 'of a, b are byte-identical' in text
    assert 'c resumed after an interruption' in text and 'iteration 216' in text
    text = digest_check([cell('a', 24, 'aa'), cell('b', 24, 'bb')], matrix)
    assert 'of a, b are NOT identical' in text
    # Several warm-ups: each family is compared within itself and named.
    text = digest_check(
        [cell('a', 24, 'aa'), cell('b', 24, 'aa'),
         cell('c', 24, 'cc')], dict(simclr_warmup=['a', 'b'], moco_warmup=['c']))
    assert text.splitlines() == [
        '- seed 0 (simclr_warmup): the first 2 batches (from iteration 24) of a, b are '
        'byte-identical (sha256 of the first: aa…)',
        '- seed 0 (moco_warmup): the first 2 batches (from iteration 24) of c are '
        'byte-identical (sha256 of the first: cc…)'
    ]


def test_reproduction_lines_say_which_probe_read_out_moved_and_by_how_much():
    from grass_mm.benchmark.reproduce import reproduction_lines

    def probe(readout, fraction, **metrics):
        return dict(
            kind='probe',
            pretrain_seed=0,
            source='random',
            fold=1,
            readout=readout,
            fraction=fraction,
            metrics=metrics)

    earlier = [
        probe('knn', 1.0, mAcc=40.0),
        probe('linear', 1.0, mIoU=20.0, aAcc=50.0),
        probe('linear', 0.1, mIoU=15.0, aAcc=45.0)
    ]
    assert reproduction_lines(earlier, earlier, 'warmup',
                              []) == ('- seed 0: init probe identical (3 figures)\n')
    # The linear fit moved (not bit-reproducible), the k-NN figures did not: say so.
    later = earlier[:2] + [probe('linear', 0.1, mIoU=15.04, aAcc=44.75)]
    assert reproduction_lines(
        later, earlier, 'warmup',
        []) == ('- seed 0: init probe DIFFERENT: knn identical (1); linear differs in 1 of 2 '
                '(aAcc by up to 0.25, mIoU by up to 0.04)\n')


# -- the t-interval over seed means and the verdict ------------------------------------------
def test_t_interval_matches_a_hand_computation():
    # Part 2's GraSS - SimCLR linear seed means; t(0.975, 2) = 4.303 from the printed tables.
    diffs = {0: [-0.15, -0.15], 1: [-0.66], 2: [0.56, 0.56, 0.56]}
    means = np.array([-0.15, -0.66, 0.56])
    half = 4.303 * means.std(ddof=1) / np.sqrt(3)
    low, high = t_interval(diffs)
    assert low == pytest.approx(means.mean() - half, abs=1e-3)
    assert high == pytest.approx(means.mean() + half, abs=1e-3)
    # Two seeds: t(0.975, 1) = 12.706.
    low, high = t_interval({0: [1.0], 1: [3.0]})
    assert high - 2.0 == pytest.approx(12.706 * np.std([1.0, 3.0], ddof=1) / np.sqrt(2), abs=1e-3)
    assert t_interval({0: [1.0, 2.0]}) is None


def test_the_t_interval_is_wider_than_the_bootstrap_with_three_seeds():
    # The bootstrap's seed level cannot leave the range of the seed means; the t-interval can.
    diffs = {0: [0.73] * 7, 1: [3.00] * 7, 2: [2.11] * 7}
    boot = hierarchical_bootstrap(diffs, draws=2000)
    low, high = t_interval(diffs)
    assert 0.73 - 1e-9 <= boot[0] and boot[1] <= 3.00 + 1e-9
    assert low < 0 < high and low < boot[0] and high > boot[1]


def test_verdict_reads_the_t_interval_and_needs_three_seeds():
    assert verdict(3, (0.1, 2.0)) == 'established'
    assert verdict(4, (-3.0, -0.2)) == 'established'
    assert verdict(3, (-0.1, 2.0)) == 'not established'
    assert verdict(2, (0.5, 1.0)) == 'two seeds'
    assert verdict(1, None) == 'one seed'


@pytest.mark.parametrize('effect, n', [(1.0, 10), (0.5, 34), (0.8, 15)])
def test_seeds_needed_matches_tabulated_one_sample_t_test_sizes(effect, n):
    # Cohen's d = effect / sd, two-sided 5 %, 80 % power: the sizes power tables print.
    assert seeds_needed(effect, 1.0) == n
    assert seeds_needed(2 * effect, 2.0) == n


def test_seeds_needed_never_says_fewer_than_a_verdict_needs():
    assert seeds_needed(3.58, 0.336) == 3  # a huge effect: still three seeds
    assert seeds_needed(0.01, 5.0, most=50) is None


def test_comparison_rows_carry_both_intervals_and_the_verdict():
    from grass_mm.benchmark.tables import comparison_rows, comparison_table

    def cell(method, seed, fold, value):
        return dict(
            kind='probe',
            method=method,
            readout='linear',
            fraction=1.0,
            epoch=30,
            pretrain_seed=seed,
            fold=fold,
            metrics=dict(mIoU=value))

    gains = {0: 1.0, 1: 1.2, 2: 0.9}
    cells = [cell('simclr', s, f, 30.0 + f) for s in gains for f in range(3)]
    cells += [cell('grass', s, f, 30.0 + f + g) for s, g in gains.items() for f in range(3)]
    rows = comparison_rows(cells, epoch=30, draws=100)
    (row, ) = [r for r in rows if (r['a'], r['b']) == ('grass', 'simclr')]
    assert row['t_ci'] == pytest.approx(t_interval({s: [g] for s, g in gains.items()}))
    assert row['verdict'] == 'established'
    text = comparison_table(rows, [0, 1, 2])
    assert 't 95 % (seed means)' in text and '**established**' in text
    # Two seeds: the row keeps its intervals but gives no verdict.
    two = [c for c in cells if c['pretrain_seed'] < 2]
    (row, ) = [r for r in comparison_rows(two, 30, 100) if r['a'] == 'grass']
    assert row['verdict'] == 'two seeds'


def test_the_guide_gate_counts_seeds_whose_interval_lies_above_zero(tmp_path):
    import json

    from grass_mm.benchmark.screen import gate, screen_cells, screen_table

    def write(seed, low):
        folder = tmp_path / f'seed{seed}' / 'guides' / 'grass_ep30'
        folder.mkdir(parents=True)
        row = dict(
            guide='gradcam_relu',
            threshold=0.8,
            views_used=10,
            mean_box_area=0.2,
            purity_gs=0.8,
            purity_random=0.7,
            purity_whole=0.6,
            single_object_share=0.3,
            gs_minus_random=dict(mean=low + 0.01, ci95=[low, low + 0.02]))
        (folder / 'screen.json').write_text(json.dumps(dict(rows=[row])))
        return screen_cells(str(tmp_path / f'seed{seed}'), seed)

    cells = write(0, 0.01) + write(1, -0.01) + write(2, 0.002)
    assert gate(cells, 'grass_ep30') == {'gradcam_relu@0.8': (2, 3)}
    assert '2/3 above 0: **passes**' in screen_table(cells, 'grass_ep30')
    assert '1/2 above 0: open: needs 1 of the 1 seeds left' in screen_table(cells[:2], 'grass_ep30')
    assert '0/2 above 0: fails' in screen_table(cells[1:2] + write(3, -0.02), 'grass_ep30')


def test_the_mmseg_table_averages_fine_tuning_seeds_then_pairs_gs_with_its_base_by_seed():
    from grass_mm.benchmark.mmseg_table import gs_table

    def seg(method, seed, ft, miou):
        return dict(
            kind='segmentation',
            method=method,
            pretrain_seed=seed,
            metrics=dict(mIoU=miou, seed=ft))

    # grass - simclr per pretraining seed (mean over the two fine-tuning seeds): +1, +2, +3.
    cells = [seg('simclr', s, ft, 50.0 + s) for s in range(3) for ft in (0, 1)]
    cells += [seg('grass', s, ft, 51.0 + 2 * s + (ft - 0.5)) for s in range(3) for ft in (0, 1)]
    one_seed = [c for c in cells if c['pretrain_seed'] == 0]
    table = gs_table(dict(A=cells, B=one_seed), [('grass', 'simclr'), ('gs-byol', 'byol')])
    half = 4.303 * 1.0 / np.sqrt(3)  # t(0.975, 2) x sd of (1, 2, 3) / sqrt(3)
    rows = {r.split(' | ')[0].strip('|* '): r for r in table.splitlines()[2:]}
    assert rows['simclr'] == '| simclr | 51.00 (t 48.52 .. 53.48) | 50.00 |'
    assert f'+2.00 (t {2 - half:+.2f} .. {2 + half:+.2f})' in rows['grass − simclr']
    assert rows['grass − simclr'].endswith('| +1.00 |')  # one seed: no interval
    assert rows['gs-byol − byol'] == '| **gs-byol − byol** | – | – |'


def test_a_preset_family_fills_its_names_into_the_base_files_paths(tmp_path):
    from grass_mm.benchmark.matrix import fill_names
    base = dict(
        _cfg='configs/{0}_{{data}}.py',
        arms=dict(a=dict(config='configs/grass_{data}.py')),
        purity=dict(img_dir='{root}/img_dir/val', ignore_labels=[0, 255]))
    assert fill_names(base, dict(data='potsdam', root='data/potsdam')) == dict(
        _cfg='configs/{0}_{{data}}.py',
        arms=dict(a=dict(config='configs/grass_potsdam.py')),
        purity=dict(img_dir='data/potsdam/img_dir/val', ignore_labels=[0, 255]))
    from grass_mm.benchmark import load_paired_matrix
    path = tmp_path / 'm.py'
    path.write_text("names = dict(data='x')\nwork_dir = '{root}'\n")
    with pytest.raises(KeyError, match=r"holds \{root\}, which names does not give"):
        load_paired_matrix(str(path))
