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
  absolute path of a work dir that was moved (the newest ``epoch_N``/``iter_N`` file here), and
  never follows it silently out of this work dir: a moved run's marker may name a file that now
  belongs to another run;
- a resume from a checkpoint that has later ones beside it (``--resume W/epoch_1.pth`` with
  ``W/epoch_2.pth``) continues in a new subfolder ``run_<timestamp>``, since mmengine would
  write its ``epoch_2.pth`` over the one there.
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
    here = osp.join(work_dir, osp.basename(named)) if named else ''
    if named and osp.isfile(named) and _same_dir(named, work_dir):
        return named
    if named and osp.isfile(here):
        if osp.isfile(named):  # a copy, or a moved dir whose old place was reused
            warnings.warn(f'{marker} names {named}, outside this work dir; resuming from the '
                          f'file of that name here, {here}')
        return here
    if named and osp.isfile(named):
        raise FileNotFoundError(
            f'{marker} names {named}, outside {work_dir} (was the work dir moved?), and no '
            f'{osp.basename(named)} is here: that file may belong to another run, so it is not '
            f'resumed; give --resume {named} to continue it on purpose')
    found = checkpoints(work_dir)
    if found:
        if named or osp.isfile(marker):
            warnings.warn(f'{marker} names {named!r}, which does not exist; resuming from the '
                          f'newest checkpoint here, {found[-1]}')
        return found[-1]
    what = f"last_checkpoint names {named!r}" if osp.isfile(marker) else 'no last_checkpoint'
    raise FileNotFoundError(f'{work_dir}: nothing to resume from ({what}, no epoch_N.pth or '
                            'iter_N.pth); start without --resume, or give --resume CKPT')


def _same_dir(path: str, work_dir: str) -> bool:
    return osp.realpath(osp.dirname(path)) == osp.realpath(work_dir)


def later_checkpoints(checkpoint: str, work_dir: str) -> List[str]:
    """The checkpoints of ``work_dir`` after ``checkpoint`` (of the same kind), when it is one
    of them: a resume from it would write over these."""
    match = _CKPT.search(osp.basename(checkpoint))
    if not match or not _same_dir(checkpoint, work_dir):
        return []
    kind, number = match.group(1), int(match.group(2))
    return [
        p for p in checkpoints(work_dir)
        if _CKPT.search(p).group(1) == kind and int(_CKPT.search(p).group(2)) > number
    ]


def _new_run_dir(work_dir: str) -> str:
    new = osp.join(work_dir, time.strftime('run_%Y%m%d_%H%M%S'))
    while osp.exists(new):
        new += '_'
    return new


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
        dict: ``work_dir`` (where the run goes), ``load_from`` (the checkpoint to resume
        from, resolved when the work dir's own is meant) and ``note`` (what the tool should
        tell its user about a choice made here, or None).

    Raises:
        FileExistsError: Checkpoints of an earlier run and neither ``resume`` nor ``new_run``.
        FileNotFoundError: ``load_from`` does not exist, or nothing here to resume from.
        ValueError: Both ``resume`` and ``new_run``.
        RuntimeError: Another live run holds the work dir.
    """
    if resume and new_run:
        raise ValueError('--new-run starts a fresh run and --resume continues one: give one')
    if resume and load_from is not None and not osp.isfile(load_from):
        raise FileNotFoundError(f'--resume {load_from}: no such checkpoint')
    found = checkpoints(work_dir) if osp.isdir(work_dir) else []
    note = None
    if found and not resume:
        if not new_run:
            names = ', '.join(osp.basename(p) for p in found[-3:])
            raise FileExistsError(
                f'{work_dir} holds checkpoints of an earlier run ({names}); add --resume to '
                'continue it, --new-run to start a fresh run in a new subfolder of it, or '
                'choose another --work-dir (nothing is overwritten)')
        work_dir = _new_run_dir(work_dir)
        note = f'a fresh run in {work_dir}'
    if resume and load_from is None and (found
                                         or osp.isfile(osp.join(work_dir, 'last_checkpoint'))):
        load_from = resume_checkpoint(work_dir)
    elif resume and load_from is None:
        # No checkpoint and no marker: start afresh, as mmengine does (a requeued job that
        # always passes --resume keeps working), but say so: a mistyped work dir looks the same.
        note = f'--resume: {work_dir} holds no checkpoint to resume; starting a fresh run there'
    later = later_checkpoints(load_from, work_dir) if resume and load_from else []
    if later:
        work_dir = _new_run_dir(work_dir)
        note = (f'resuming from {osp.basename(load_from)}, which has later checkpoints beside it '
                f'({", ".join(osp.basename(p) for p in later[-3:])}): the run continues in '
                f'{work_dir} so that none is overwritten')
    lock_work_dir(work_dir)
    return dict(work_dir=work_dir, load_from=load_from, note=note)
