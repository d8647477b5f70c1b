"""The house rules that keep the package readable (#58): ``apis`` is a library, files stay
small."""
import ast
import glob
import os.path as osp

from tests.helpers import REPO

PACKAGE = osp.join(REPO, 'grass_mm')
MAX_LINES = 300


def test_apis_holds_no_command_line():
    """As mmseg's ``apis``: functions that take arguments; parsing lives in ``grass_mm.cli``."""
    found = []
    for path in sorted(glob.glob(osp.join(PACKAGE, 'apis', '**', '*.py'), recursive=True)):
        for node in ast.walk(ast.parse(open(path).read(), path)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) else [])
            if any(n and n.split('.')[0] == 'argparse' for n in names):
                found.append(f'{osp.relpath(path, REPO)}:{node.lineno} imports argparse')
            if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)
                    and node.left.id == '__name__'):
                found.append(f'{osp.relpath(path, REPO)}:{node.lineno} is a script')
    assert not found, found


def test_no_package_file_is_over_300_lines():
    long = {
        osp.relpath(p, REPO): n
        for p in glob.glob(osp.join(PACKAGE, '**', '*.py'), recursive=True)
        if (n := len(open(p).read().splitlines())) > MAX_LINES
    }
    assert not long, f'split these (over {MAX_LINES} lines): {long}'
