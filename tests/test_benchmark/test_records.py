"""The committed benchmark records: their published differences recomputed from the cells.

An independent recomputation: plain Python and ``scipy.stats.t`` over the raw cells of the
record and of the earlier record its matrix compares with (``compare_with``), none of
``grass_mm.benchmark``'s grouping or statistics, so an error there (a wrong epoch, fold or
fraction picked, an unpaired fold) shows as a difference from ``comparisons.json``.
"""
import glob
import json
import os.path as osp
import statistics

import pytest
from mmengine.config import Config
from scipy import stats

from tests.helpers import REPO

# record folder -> its matrix (the matrices whose record is committed)
MATRICES = {
    m.record_dir: m
    for m in map(Config.fromfile, glob.glob(osp.join(REPO, 'configs/benchmark_matrix/*.py')))
    if osp.isfile(osp.join(REPO, m.get('record_dir', '-'), 'comparisons.json'))
}
READOUTS = {
    'linear mIoU': ('linear', 1.0, 'mIoU'),
    'linear mIoU, 10 %': ('linear', 0.1, 'mIoU'),
    'k-NN mAcc': ('knn', 1.0, 'mAcc')
}


def _load(path):
    with open(osp.join(REPO, path)) as f:
        return json.load(f)


def _scores(cells, method, epoch, readout, fraction, metric):
    """(seed, fold) -> score at ``epoch`` (random init: epoch 0)."""
    epoch = 0 if method == 'random' else epoch
    return {
        (c['pretrain_seed'], c['fold']): c['metrics'][metric]
        for c in cells if c['kind'] == 'probe' and c['method'] == method and c['readout'] == readout
        and c['fraction'] == fraction and c['epoch'] == epoch
    }


@pytest.mark.parametrize('record', sorted(MATRICES), ids=osp.basename)
def test_published_differences_and_t_intervals_follow_from_the_cells(record):
    matrix = MATRICES[record]
    cells = _load(osp.join(record, 'cells.json'))
    if matrix.get('compare_with'):
        # The earlier record's methods join where this record has none of that method and seed.
        own = {(c['method'], c['pretrain_seed']) for c in cells if c['kind'] == 'probe'}
        cells += [
            c for c in _load(matrix.compare_with.cells)
            if c['kind'] == 'probe' and c['method'] in matrix.compare_with.methods and (
                c['method'], c['pretrain_seed']) not in own
        ]
    rows = _load(osp.join(record, 'comparisons.json'))
    assert rows
    for row in rows:
        a, b = (
            _scores(cells, m, max(matrix.probe_epochs), *READOUTS[row['readout']])
            for m in (row['a'], row['b']))
        per_seed = {}
        for seed, fold in sorted(set(a) & set(b)):
            per_seed.setdefault(seed, []).append(a[seed, fold] - b[seed, fold])
        name = f"{row['a']} - {row['b']}, {row['readout']}"
        diffs = [d for ds in per_seed.values() for d in ds]
        assert row['mean'] == pytest.approx(statistics.fmean(diffs), abs=1e-9), name
        assert row['folds'] == len(diffs) and row['folds_up'] == sum(d > 0 for d in diffs), name
        means = {str(s): statistics.fmean(ds) for s, ds in per_seed.items()}
        assert row['per_seed'] == pytest.approx(means, abs=1e-9), name
        if len(means) > 1:
            m, n = list(means.values()), len(means)
            half = stats.t.ppf(0.975, n - 1) * statistics.stdev(m) / n**0.5
            low, high = statistics.fmean(m) - half, statistics.fmean(m) + half
            assert row['t_ci'] == pytest.approx([low, high], abs=1e-9), name
        else:
            assert row['t_ci'] is None, name
