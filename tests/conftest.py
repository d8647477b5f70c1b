"""Shared fixtures: the repo paths, a small synthetic dataset, the real data (or a skip)."""
import functools
import os
import os.path as osp

import mmengine.config.utils as config_utils
import pytest

import grass_mm  # noqa: F401  (stack fixes before any test module imports mmpretrain)

# mmengine resolves every `mmseg::`/`mmpretrain::` base of a config by parsing all of that
# package's metafiles (mmseg: 159 YAML files, about 0.4 s) each time; the suite parses every
# shipped config, so each metafile is parsed once per session (mmengine only reads the result).
# The answer is the same: the metafiles do not change while the tests run.
config_utils.load = functools.lru_cache(maxsize=None)(config_utils.load)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = os.environ.get('GRASS_MM_DATA', osp.join(REPO, '..', 'shared', 'data'))


def pytest_configure(config) -> None:
    """Under ``pytest -n N`` (pytest-xdist) each worker gets its share of the cores for torch,
    and so do the tools it starts (they inherit ``OMP_NUM_THREADS``): N workers with torch's
    default of one thread per core would ask for N times the machine."""
    workers = getattr(config, 'workerinput', {}).get('workercount')
    if workers:
        import torch
        threads = max(1, (os.cpu_count() or 1) // workers)
        os.environ['OMP_NUM_THREADS'] = str(threads)
        torch.set_num_threads(threads)


def pytest_collection_modifyitems(config, items) -> None:
    """``slow`` tests first, and ``presets`` tests only when selected.

    Slow first: under ``-n 2 --dist load --maxschedchunk 1`` each process takes the next test
    when it is free, so the end-to-end tests (up to minutes each) spread over both processes
    and the many short tests fill the end (in file order the two demos ran last, on one process).
    ``presets``: the whole-preset smokes take minutes each, more than the suite's budget; the
    suite runs one preset's GS-MoCo v2 family (``-m presets`` runs them)."""
    items.sort(key=lambda item: item.get_closest_marker('slow') is None)  # stable: file order
    if 'presets' in (config.getoption('markexpr') or ''):
        return
    skip = pytest.mark.skip(reason='a whole GPU preset at the smoke schedule (minutes): run it '
                            'with pytest -m presets')
    for item in items:
        if 'presets' in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope='session')
def repo() -> str:
    return REPO


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory) -> str:
    """A small synthetic aerial set in mmseg layout (8 train, 4 val scenes, 96 px)."""
    from grass_mm.datasets import generate_synthetic_aerial
    return generate_synthetic_aerial(
        str(tmp_path_factory.mktemp('synthetic')), num_train=8, num_val=4, size=96, seed=0)


@pytest.fixture(scope='session')
def shared_data() -> str:
    """The real remote-sensing data folder, or a skip saying where it was looked for."""
    if not osp.isdir(osp.join(SHARED_DATA, 'dubai_aerial')):
        pytest.skip(f'real data not found at {SHARED_DATA} (set GRASS_MM_DATA to the folder '
                    'holding dubai_aerial/, aerial_unlabeled/ and rs_benchmark_crops/)')
    return SHARED_DATA


@pytest.fixture(scope='session')
def grass_checkpoint(synthetic_root, tmp_path_factory) -> str:
    """A real mmengine training checkpoint of a tiny GraSS run (message hub and all)."""
    from mmengine.runner import Runner

    from tests.helpers import tiny_grass_cfg
    work_dir = str(tmp_path_factory.mktemp('grass_run'))
    cfg = tiny_grass_cfg(synthetic_root, work_dir, max_epochs=1, warmup_epochs=0)
    cfg.experiment_name = 'grass_checkpoint_fixture'
    Runner.from_cfg(cfg).train()
    return osp.join(work_dir, 'epoch_1.pth')


@pytest.fixture(scope='session')
def dubai_mmseg(shared_data, tmp_path_factory) -> str:
    """The real Dubai aerial tiles converted to mmseg's layout (tiles 1-6 train, 7 val)."""
    from grass_mm.datasets import convert_dubai_aerial
    out = str(tmp_path_factory.mktemp('dubai_mmseg'))
    convert_dubai_aerial(osp.join(shared_data, 'dubai_aerial'), out)
    return out
