"""A quiet console: library output and warnings to a log file, progress lines to the user."""
import atexit
import contextlib
import os.path as osp
import time
import warnings
from typing import Dict, Iterator, TextIO

_LOGS: Dict[str, TextIO] = {}  # one open file per log path, for the whole process


def _log_file(log_path: str) -> TextIO:
    path = osp.abspath(log_path)
    if path not in _LOGS or _LOGS[path].closed:
        _LOGS[path] = open(path, 'a')
        atexit.register(_LOGS[path].close)
    return _LOGS[path]


@contextlib.contextmanager
def quiet(log_path: str, verbose: bool = False) -> Iterator[None]:
    """Send stdout/stderr and Python warnings to ``log_path``, unless ``verbose``.

    mmengine's console handler binds to the stdout it is built with: a Runner built in one
    ``quiet`` block logs to that stream in the next. So the file stays open for the process
    (closing it after the first block made every later log line a "Logging error" traceback),
    and is flushed when each block ends.
    """
    if verbose:
        yield
        return
    log = _log_file(log_path)
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log), \
                warnings.catch_warnings():
            warnings.simplefilter('ignore')
            yield
    finally:
        log.flush()


def progress_line(stream: TextIO,
                  phase: str,
                  done: int,
                  total: int,
                  start: float,
                  text: str = '') -> None:
    """One progress line: phase, bar, ``done/total``, ``text``, ETA (or the time taken).

    On a terminal the line is redrawn in place; elsewhere (a pipe, a CI log) it is printed at
    every tenth of the phase, so a captured console stays a screen long.

    Args:
        stream: The console.
        phase: The name the line starts with.
        done: Steps done (1-based).
        total: Steps in all.
        start: ``time.time()`` when the phase began.
        text: Shown after the count (e.g. the loss).
    """
    elapsed = time.time() - start
    eta = elapsed / max(done, 1) * (total - done)
    bar = '#' * round(20 * done / max(total, 1))
    line = (f'  {phase:<11} [{bar:<20}] {done}/{total} {text} '
            f'{"ETA" if done < total else "in"} {eta if done < total else elapsed:.0f} s')
    if getattr(stream, 'isatty', lambda: False)():
        stream.write('\r' + line.ljust(100) + ('\n' if done == total else ''))
    elif 10 * done // total != 10 * (done - 1) // total:  # each tenth, at most 10 lines
        stream.write(line + '\n')
    stream.flush()
