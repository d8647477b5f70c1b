"""The paired harness's child processes: the commands, running one, reading its scalars.

Each step runs a module of the package (``python -m grass_mm.cli.<step>``) in its own process,
for isolation (a crashed step leaves the others), peak memory
(``ru_maxrss`` of the step alone) and resumability (a rerun skips what exists).
"""
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List, Optional

from mmengine.runner import find_latest_checkpoint

import grass_mm


def train_command(config: str,
                  work_dir: str,
                  gpus: int = 1,
                  resume: Optional[str] = None) -> List[str]:
    """``python -m grass_mm.cli.train`` for one process; for ``gpus`` > 1 the same module under
    torchrun (``torch.distributed.run``, ``--launcher pytorch``).

    An interrupted training (a checkpoint in ``work_dir``) resumes from its own last checkpoint;
    otherwise ``resume`` names the checkpoint to continue from (e.g. a shared warm-up's).
    """
    if find_latest_checkpoint(work_dir):
        tail = ['--resume']
    else:
        tail = [] if resume is None else ['--resume', resume]
    launcher = [sys.executable]
    if gpus > 1:
        launcher += [
            '-m', 'torch.distributed.run', f'--nproc_per_node={gpus}',
            f"--master_port={os.environ.get('PORT', '29500')}"
        ]
        tail = ['--launcher', 'pytorch'] + tail
    return launcher + ['-m', 'grass_mm.cli.train', config, '--work-dir', work_dir] + tail


def call(argv: List[str], log_file: str) -> dict:
    """Run ``argv`` in the working directory (with this process's ``grass_mm`` first on
    ``PYTHONPATH``), appending its output to ``log_file``; return its wall time and peak RSS, or
    raise naming the log."""
    start = time.time()
    package_parent = osp.dirname(osp.dirname(osp.abspath(grass_mm.__file__)))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(p for p in (package_parent, os.environ.get('PYTHONPATH')) if p))
    with open(log_file, 'a') as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f'exit {code}: {" ".join(argv)} (log: {log_file})')
    # ru_maxrss is in KiB on Linux: the largest of the step and its data workers.
    return dict(wall_s=round(time.time() - start, 1), max_rss_gb=round(usage.ru_maxrss / 2**20, 2))
