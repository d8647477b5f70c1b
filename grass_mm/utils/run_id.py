"""Which run a work dir and its checkpoints belong to, so that a resume never splices two runs.

A moved or copied work dir can name, or sit beside, checkpoints of another run (a new run
started where the old one used to be). Each run gets an id when it claims its work dir
(``.grass_mm_run`` there) and every checkpoint it writes carries it (``meta.run_id``, by
:class:`grass_mm.engine.hooks.RunIdHook`). A resume continues a checkpoint's run only where that
run is the work dir's; a checkpoint continued in another work dir (a paired benchmark's
continuation of a shared warm-up) starts a new run there that names where it came from.
"""
import json
import os
import os.path as osp
import socket
import time
import uuid
from typing import Optional

from .compat import load_local_checkpoint, write_atomic

RUN_FILE = '.grass_mm_run'


def work_dir_run(work_dir: str) -> Optional[str]:
    """The id of the run that owns ``work_dir`` (None: no run has claimed it yet)."""
    path = osp.join(work_dir, RUN_FILE)
    if not osp.isfile(path):
        return None
    try:
        return json.load(open(path))['run_id']
    except (ValueError, KeyError, TypeError):
        raise RuntimeError(f'{path} is not a run file that grass_mm wrote; if no run uses this '
                           'work dir, delete it') from None


def checkpoint_run(checkpoint: str) -> Optional[str]:
    """The run id a checkpoint records (None for checkpoints written before run ids, or by
    another tool)."""
    meta = load_local_checkpoint(checkpoint, map_location='cpu').get('meta') or {}
    return meta.get('run_id')


def claim_run(work_dir: str, resume_from: Optional[str]) -> str:
    """The id of the run about to train in ``work_dir`` (written to its run file).

    Args:
        work_dir: The claimed work dir.
        resume_from: The checkpoint the run resumes from (None: a fresh run).

    Returns:
        str: The run id: the work dir's own when the checkpoint is of that run (or records
        none), a new one for a fresh run or for a checkpoint continued in a new work dir.

    Raises:
        RuntimeError: The checkpoint belongs to another run than the work dir's (both named).
    """
    own = work_dir_run(work_dir)
    theirs = checkpoint_run(resume_from) if resume_from else None
    if resume_from and own is not None and theirs is not None and own != theirs:
        raise RuntimeError(
            f'{resume_from} belongs to run {theirs}, but {work_dir} is run {own} '
            f'({osp.join(work_dir, RUN_FILE)}): resuming it here would splice two runs. '
            f'Continue it in its own work dir, or in a new one (--work-dir NEW --resume '
            f'{resume_from})')
    if resume_from and own is not None:
        return own
    here = resume_from and osp.realpath(osp.dirname(resume_from)) == osp.realpath(work_dir)
    run_id = theirs if here and theirs else uuid.uuid4().hex[:12]
    record = dict(
        run_id=run_id,
        started=time.strftime('%Y-%m-%d %H:%M:%S'),
        host=socket.gethostname(),
        resumed_from=osp.abspath(resume_from) if resume_from else None)
    os.makedirs(work_dir, exist_ok=True)
    write_atomic(json.dumps(record, indent=1).encode(), osp.join(work_dir, RUN_FILE))
    return run_id
