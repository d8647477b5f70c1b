"""Dump every config of a checkout, resolved, for a before/after diff.

    python docs/results/house_round3/dump_configs.py CHECKOUT OUT
    diff -r OUT_BEFORE OUT_AFTER
"""
import glob
import json
import os
import os.path as osp
import sys


def main() -> None:
    checkout, out = osp.abspath(sys.argv[1]), osp.abspath(sys.argv[2])
    sys.path.insert(0, checkout)
    os.chdir(checkout)
    import grass_mm  # noqa: F401  (the checkout's registration)
    from mmengine.config import Config
    paths = sorted(glob.glob('configs/**/*.py', recursive=True))
    for path in paths:
        d = Config.fromfile(path).to_dict()
        d.pop('filename', None)
        text = json.dumps(d, indent=1, sort_keys=True, default=repr).replace(checkout, 'REPO')
        dst = osp.join(out, path + '.json')
        os.makedirs(osp.dirname(dst), exist_ok=True)
        with open(dst, 'w') as f:
            f.write(text)
    print(len(paths), 'configs')


if __name__ == '__main__':
    main()
