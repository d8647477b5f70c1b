"""A quiet console: library output and warnings to a log file, progress lines to the user."""
import contextlib
import warnings
from typing import Iterator


@contextlib.contextmanager
def quiet(log_path: str, verbose: bool = False) -> Iterator[None]:
    """Send stdout/stderr (mmengine's console handler binds to the stdout it is built with)
    and Python warnings to ``log_path``, unless ``verbose``."""
    if verbose:
        yield
        return
    with open(log_path, 'a') as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        yield
