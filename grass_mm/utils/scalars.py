"""Reading mmengine's ``vis_data/scalars.json`` (one JSON record per logged step) of a work dir's
timestamped runs: the benchmark's fine-tunings and training costs and the acceptance checks read
their results from it."""
import json
import os
import os.path as osp
from typing import List, Optional


def _runs(work_dir: str) -> List[str]:
    """The timestamped runs of a work dir that logged scalars, oldest first."""
    return sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))


def _records(work_dir: str, run: str, key: str) -> List[dict]:
    with open(osp.join(work_dir, run, 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f if key in line]


def last_scalars(work_dir: str, key: str) -> Optional[dict]:
    """The last record holding ``key`` in the newest run's ``vis_data/scalars.json``."""
    for run in reversed(_runs(work_dir)):
        records = _records(work_dir, run, key)
        if records:
            return dict(records[-1], log=osp.join(work_dir, run, f'{run}.log'))
    return None


def scalar_curve(work_dir: str, key: str) -> List[List[float]]:
    """``[step, value]`` of every record holding ``key``, over all runs of the work dir (a
    resumed training logs into a new run folder; a step logged again replaces the old one)."""
    curve = {}
    for run in _runs(work_dir):
        curve.update({r['step']: r[key] for r in _records(work_dir, run, key) if key in r})
    return [[step, curve[step]] for step in sorted(curve)]
