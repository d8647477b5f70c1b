"""Verify the installed stack: compiled mmcv ops, torchvision on this torch, imports, versions.

    python tools/misc/check_env.py      # exit status 1 with the reason on any failure
"""
import importlib
import sys


def main() -> int:
    import argparse
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    import mmcv
    import numpy
    import torch

    import grass_mm  # applies the stack fixes before torchvision is imported
    checks = []
    try:
        importlib.import_module('mmcv._ext')
        checks.append(('mmcv compiled ops (mmcv._ext)', True, mmcv.__version__))
    except ImportError as err:
        checks.append(('mmcv compiled ops (mmcv._ext)', False, f'{err}: reinstall mmcv with '
                       'MMCV_WITH_OPS=1 and --no-build-isolation (docs/en/get_started.md)'))
    for name in ('mmcv.ops', 'torchvision', 'mmpretrain.models', 'mmseg.models'):
        try:
            module = importlib.import_module(name)
            checks.append((f'import {name}', True, getattr(module, '__version__', '')))
        except Exception as err:  # report every failure, not only the first
            checks.append((f'import {name}', False, f'{type(err).__name__}: {err}'))
    try:  # numpy 2 broke mmcv 2.1.0's hue jitter; grass_mm.utils.compat mends it
        mmcv.adjust_hue(numpy.zeros((2, 2, 3), numpy.uint8), -0.1)
        checks.append(('hue jitter (mmcv.adjust_hue < 0)', True, f'numpy {numpy.__version__}'))
    except Exception as err:
        checks.append(('hue jitter (mmcv.adjust_hue < 0)', False, f'numpy {numpy.__version__}: '
                       f'{type(err).__name__}: {err}'))
    checks.append(('torch', True, f'{torch.__version__} (CUDA: {torch.cuda.is_available()})'))
    checks.append(('grass_mm', True, grass_mm.__version__))
    for what, ok, detail in checks:
        print(f"{'ok ' if ok else 'FAIL'} {what:34s} {detail}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == '__main__':
    sys.exit(main())
