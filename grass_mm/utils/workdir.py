"""A training work dir that one run owns, whose checkpoints nothing overwrites.

mmengine's Runner writes into ``work_dir`` whatever is there: two runs started together share
one log and interleave their checkpoints, and a run started again without ``--resume``
overwrites the earlier run's ``epoch_N.pth`` while leaving its later epochs beside the new ones
(a later resume would splice two runs). :func:`claim_work_dir` is what :mod:`grass_mm.apis.train`
does before it builds the Runner:

- a live run's lock (``.grass_mm.lock``: pid, host, start time) refuses a second run; a lock
  whose process is gone (same host) is stale and taken over with a warning;
- a work dir holding checkpoints is refused unless the run resumes, or ``new_run`` starts the
  fresh run in a new subfolder ``run_<timestamp>`` (no flag overwrites a checkpoint);
- a resume finds its checkpoint even when ``last_checkpoint`` is empty or names the old
  absolute path of a work dir that was moved (the newest ``epoch_N``/``iter_N`` file here).
"""
import atexit
import glob
import json
import os
import os.path as osp
import re
import socket
import time
import warnings
from typing import List, Optional

LOCK_NAME = '.grass_mm.lock'
_CKPT = re.compile(r'(epoch|iter)_(\d+)\.pth$')


def checkpoints(work_dir: str) -> List[str]:
    """The run checkpoints (``epoch_N.pth``, ``iter_N.pth``) in ``work_dir``, oldest first."""
    found = [p for p in glob.glob(osp.join(work_dir, '*.pth')) if _CKPT.search(p)]
    return sorted(found, key=lambda p: (_CKPT.search(p).group(1), int(_CKPT.search(p).group(2))))


def resume_checkpoint(work_dir: str) -> str:
    """The checkpoint ``--resume`` (without a path) continues from.

    ``last_checkpoint`` when it names an existing file; else the same file name in this work dir
    (the work dir was moved); else the newest checkpoint here.

    Raises:
        FileNotFoundError: Nothing to resume from, naming the work dir and what it holds.
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    named = open(marker).read().strip() if osp.isfile(marker) else ''
    if named and osp.isfile(named):
        return named
    if named and osp.isfile(osp.join(work_dir, osp.basename(named))):
        return osp.join(work_dir, osp.basename(named))
    found = checkpoints(work_dir)
    if found:
        if named or osp.isfile(marker):
            warnings.warn(f'{marker} names {named!r}, which does not exist; resuming from the '
                          f'newest checkpoint here, {found[-1]}')
        return found[-1]
    what = f"last_checkpoint names {named!r}" if osp.isfile(marker) else 'no last_checkpoint'
    raise FileNotFoundError(f'{work_dir}: nothing to resume from ({what}, no epoch_N.pth or '
                            'iter_N.pth); start without --resume, or give --resume CKPT')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def lock_work_dir(work_dir: str) -> str:
    """Take ``work_dir``'s lock for this process (released at exit); return the lock's path.

    Raises:
        RuntimeError: A live run holds it (its pid, host and start named).
    """
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_NAME)
    me = dict(
        pid=os.getpid(), host=socket.gethostname(), started=time.strftime('%Y-%m-%d %H:%M:%S'))
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                owner = json.load(open(path))
            except (OSError, ValueError):
                owner = {}
            pid, host = owner.get('pid'), owner.get('host')
            if host == me['host'] and isinstance(pid, int) and pid != me['pid'] and _alive(pid):
                raise RuntimeError(
                    f"{work_dir} is in use by a run of pid {pid} on {host} (since "
                    f"{owner.get('started')}; lock {path}); wait for it to end, or choose "
                    'another --work-dir') from None
            if host not in (None, me['host']):
                raise RuntimeError(
                    f"{work_dir} is locked by a run of pid {pid} on host {host} (since "
                    f"{owner.get('started')}); its liveness cannot be checked from "
                    f"{me['host']}: if that run has ended, delete {path}") from None
            warnings.warn(f'{path}: a stale lock of pid {pid} (no such process); taking it over')
            os.remove(path)
            continue
        with os.fdopen(fd, 'w') as f:
            json.dump(me, f)
        atexit.register(_release, path, me['pid'])
        return path
    raise RuntimeError(f'{path}: could not take the lock')


def _release(path: str, pid: int) -> None:
    try:
        if json.load(open(path)).get('pid') == pid:
            os.remove(path)
    except (OSError, ValueError):
        pass


def claim_work_dir(work_dir: str,
                   resume: bool,
                   load_from: Optional[str],
                   new_run: bool = False) -> dict:
    """Check and lock a training work dir before the Runner touches it.

    Args:
        work_dir: The run's work dir.
        resume: Whether the run resumes (``--resume``).
        load_from: The checkpoint given to ``--resume CKPT`` (None: the work dir's own).
        new_run: Start a fresh run in ``work_dir/run_<timestamp>`` when ``work_dir`` holds
            checkpoints of an earlier run.

    Returns:
        dict: ``work_dir`` (where the run goes) and ``load_from`` (the checkpoint to resume
        from, resolved when the work dir's own is meant).

    Raises:
        FileExistsError: Checkpoints of an earlier run and neither ``resume`` nor ``new_run``.
        RuntimeError: Another live run holds the work dir.
    """
    found = checkpoints(work_dir) if osp.isdir(work_dir) else []
    if found and not resume:
        if not new_run:
            names = ', '.join(osp.basename(p) for p in found[-3:])
            raise FileExistsError(
                f'{work_dir} holds checkpoints of an earlier run ({names}); add --resume to '
                'continue it, --new-run to start a fresh run in a new subfolder of it, or '
                'choose another --work-dir (nothing is overwritten)')
        work_dir = osp.join(work_dir, time.strftime('run_%Y%m%d_%H%M%S'))
        while osp.exists(work_dir):
            work_dir += '_'
    # (A resume never moves to a subfolder, so ``found`` is this work dir's.)
    if resume and load_from is None and (found
                                         or osp.isfile(osp.join(work_dir, 'last_checkpoint'))):
        load_from = resume_checkpoint(work_dir)
    # Without any checkpoint or marker, --resume starts afresh, as mmengine does (a requeued
    # job that always passes --resume keeps working).
    lock_work_dir(work_dir)
    return dict(work_dir=work_dir, load_from=load_from)
