"""Export the backbone of a training checkpoint as plain tensors (safe to load).

    python tools/model_converters/extract_backbone.py work_dirs/x/epoch_30.pth backbone.pth
"""
import argparse

import grass_mm  # noqa: F401  (safe checkpoint loader)
from grass_mm.cli.checks import existing_file
from grass_mm.utils import extract_backbone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'src', type=existing_file, help='training checkpoint (mmpretrain / grass_mm)')
    parser.add_argument('dst', help='output file (must not exist)')
    parser.add_argument('--prefix', default='backbone.', help='key prefix of the backbone')
    args = parser.parse_args()
    try:
        count = extract_backbone(args.src, args.dst, args.prefix)
    except (FileNotFoundError, FileExistsError, RuntimeError, ValueError) as err:
        raise SystemExit(f'extract_backbone: {err}')  # the message names the file
    print(f'wrote {count} backbone tensors to {args.dst}')


if __name__ == '__main__':
    main()
