"""A training work dir that one run owns, whose checkpoints nothing overwrites.

mmengine's Runner writes into ``work_dir`` whatever is there: two runs started together share one
log and interleave their checkpoints, and a run started again without ``--resume`` overwrites the
earlier run's ``epoch_N.pth`` while leaving its later epochs beside the new ones (a later resume
would splice two runs). :func:`claim_work_dir` is what :func:`grass_mm.apis.train.claim` does before
it builds the Runner:

- a live run's lock (an ``flock`` on ``.grass_mm.lock``, whose file says pid, host, start time
  and job id) refuses a second run; a lock whose process is gone (same host) is stale and taken
  over with a warning, one of another host only by the same job id or ``--takeover-lock``;
- a work dir holding checkpoints is refused unless the run resumes, or ``new_run`` starts the
  fresh run in a new subfolder ``run_<timestamp>`` (no flag overwrites a checkpoint);
- a resume finds its checkpoint even when ``last_checkpoint`` is empty or names the old
  absolute path of a work dir that was moved (the newest ``epoch_N``/``iter_N`` file here), and
  never follows it silently out of this work dir: a moved run's marker may name a file that now
  belongs to another run;
- a resume continues a checkpoint's run only in that run's work dir
  (:mod:`grass_mm.utils.run_id`: the run file here and the checkpoint's ``meta.run_id``);
- a resume from a checkpoint that has later ones beside it (``--resume W/epoch_1.pth`` with
  ``W/epoch_2.pth``) continues in a new subfolder ``run_<timestamp>``, since mmengine would
  write its ``epoch_2.pth`` over the one there.
"""
import atexit
import fcntl
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


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host runs (another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def lock_work_dir(work_dir: str, takeover: bool = False) -> str:
    """Take ``work_dir``'s lock for this process (held until exit); return the lock's path.

    The lock is an ``flock`` on ``.grass_mm.lock``, so taking it is atomic and a dead process
    holds none; the file says who holds it (pid, host, start, the scheduler's job id) for the
    messages. A lock whose file names a live process of this host, or a run on another host
    (whose liveness cannot be checked), is refused unless ``takeover`` (a requeued job's
    ``--takeover-lock``) or the file names this process's own job id (``SLURM_JOB_ID``).

    Raises:
        RuntimeError: Another run holds it (named), the lock file is not one this project
            wrote, or the work dir cannot be written.
    """
    path = osp.join(work_dir, LOCK_NAME)
    me = dict(
        pid=os.getpid(),
        host=socket.gethostname(),
        started=time.strftime('%Y-%m-%d %H:%M:%S'),
        job=os.environ.get('SLURM_JOB_ID'))
    if path in _HELD:  # this process claims it again (a second Runner): let the first go
        os.close(_HELD.pop(path))
    try:
        os.makedirs(work_dir, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as err:
        raise RuntimeError(f'{work_dir}: the work dir cannot be written ({err.strerror}: '
                           f'{err.filename}); choose a --work-dir you can write') from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = _owner(fd, path)
        os.close(fd)
        raise RuntimeError(
            f"{work_dir} is in use by a run of pid {owner.get('pid', '(starting)')} on "
            f"{owner.get('host', 'this host')} (since {owner.get('started', 'now')}; lock "
            f'{path}); wait for it to end, or choose another --work-dir') from None
    try:
        owner = _owner(fd, path)
        pid, host, job = owner.get('pid'), owner.get('host'), owner.get('job')
        ours = takeover or (job is not None and job == me['job'])
        if pid is not None and pid != me['pid'] and not ours:
            if host == me['host'] and pid_alive(pid):
                raise RuntimeError(
                    f"{work_dir} is in use by a run of pid {pid} on {host} (since "
                    f"{owner.get('started')}; lock {path}); wait for it to end, or choose "
                    'another --work-dir')
            if host != me['host']:
                raise RuntimeError(
                    f"{work_dir} is locked by a run of pid {pid} on host {host} (since "
                    f"{owner.get('started')}); its liveness cannot be checked from "
                    f"{me['host']}: if that run has ended (a requeued job), add "
                    f'--takeover-lock, or delete {path}')
        if pid is not None and pid != me['pid']:
            why = ('--takeover-lock' if takeover else 'a requeued job') if ours else \
                'a stale lock: no such process'
            warnings.warn(f'{path}: taking over the lock of pid {pid} on {host} ({why})')
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    _HELD[path] = fd
    atexit.register(_release, path, fd)
    return path


# Lock files this process holds, by path: their open descriptors keep the flocks.
_HELD = {}


def _owner(fd: int, path: str) -> dict:
    """What a lock file says (empty: nobody, or a run between its open and its write)."""
    text = os.pread(fd, 4096, 0).decode(errors='replace').strip()
    if not text:
        return {}
    try:
        owner = json.loads(text)
    except ValueError:
        owner = None
    if not isinstance(owner, dict) or not isinstance(owner.get('pid', 0), int):
        raise RuntimeError(f'{path} is not a lock that grass_mm wrote (it holds {text[:80]!r}): '
                           'if no run uses this work dir, delete it')
    return owner


def _release(path: str, fd: int) -> None:
    """Empty the lock file (it stays: unlinking a file others wait on splits the lock)."""
    if _HELD.get(path) != fd:
        return
    try:
        os.ftruncate(fd, 0)
        os.close(fd)
    except OSError:
        pass
    _HELD.pop(path, None)


def claim_work_dir(work_dir: str,
                   resume: bool,
                   load_from: Optional[str],
                   new_run: bool = False,
                   takeover: bool = False) -> dict:
    """Check and lock a training work dir before the Runner touches it.

    Args:
        work_dir: The run's work dir.
        resume: Whether the run resumes (``--resume``).
        load_from: The checkpoint given to ``--resume CKPT`` (None: the work dir's own).
        new_run: Start a fresh run in ``work_dir/run_<timestamp>`` when ``work_dir`` holds
            checkpoints of an earlier run.
        takeover: Take the lock of a run on another host (a requeued job; see
            :func:`lock_work_dir`).

    Returns:
        dict: ``work_dir`` (where the run goes), ``load_from`` (the checkpoint to resume
        from, resolved when the work dir's own is meant), ``run_id`` (the run's id, for its
        checkpoints) and ``note`` (what the tool should
        tell its user about a choice made here, or None).

    Raises:
        FileExistsError: Checkpoints of an earlier run and neither ``resume`` nor ``new_run``.
        FileNotFoundError: ``load_from`` does not exist, or nothing here to resume from.
        ValueError: Both ``resume`` and ``new_run``.
        RuntimeError: Another live run holds the work dir, or the checkpoint belongs to
            another run than the work dir's.
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
    lock_work_dir(work_dir, takeover)
    # Imported here: the rest of this module is stdlib-only (its lock is raced without the stack).
    from .run_id import claim_run
    run_id = claim_run(work_dir, load_from if resume else None)
    return dict(work_dir=work_dir, load_from=load_from, run_id=run_id, note=note)
