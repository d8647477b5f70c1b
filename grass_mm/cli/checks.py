"""Front-door checks of the tools' arguments: a missing path is one line naming it.

Used as argparse ``type=`` functions, so a misspelt config, checkpoint or folder ends in
argparse's ``error: argument config: ...`` line (exit 2) instead of a traceback from deep in
the stack.
"""
import argparse
import difflib
import glob
import os.path as osp
from typing import Callable, List

_PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))
# A checkout's configs/, or the copy setup.py installs for mim.
CONFIG_ROOTS = (osp.join(osp.dirname(_PACKAGE), 'configs'), osp.join(_PACKAGE, '.mim', 'configs'))


def closest_configs(path: str, count: int = 3) -> List[str]:
    """The config files whose names are closest to ``path``'s (``configs/...`` paths)."""
    for root in CONFIG_ROOTS:
        found = glob.glob(osp.join(root, '**', '*.py'), recursive=True)
        if found:
            names = {osp.basename(f): osp.join('configs', osp.relpath(f, root)) for f in found}
            close = difflib.get_close_matches(osp.basename(path), list(names), count, 0.5)
            return [names[c] for c in close]
    return []


def existing_file(path: str) -> str:
    if not osp.isfile(path):
        raise argparse.ArgumentTypeError(f'{path}: no such file')
    return path


def existing_dir(path: str) -> str:
    if not osp.isdir(path):
        raise argparse.ArgumentTypeError(f'{path}: no such folder')
    return path


def existing_config(path: str) -> str:
    if not osp.isfile(path):
        close = closest_configs(path)
        hint = f"; closest: {', '.join(close)}" if close else ''
        raise argparse.ArgumentTypeError(f'{path}: no such config{hint}')
    return path


def file_or(*words: str) -> Callable[[str], str]:
    """An existing file, or one of ``words`` (e.g. ``'none'`` for random weights)."""

    def check(path: str) -> str:
        if path in words:
            return path
        if not osp.isfile(path):
            raise argparse.ArgumentTypeError(f"{path}: no such file (or say {' or '.join(words)})")
        return path

    return check
