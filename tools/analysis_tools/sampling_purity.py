"""Sampling purity: do GraSS's gradient boxes hold one ground object more than random boxes?

    python tools/analysis_tools/sampling_purity.py CONFIG [--checkpoint CKPT] --img-dir DIR
        --ann-dir DIR --out-dir OUT [--num-images 128] [--batch 32] [--draws 8] [--seed 0]
        [--ignore-labels 255 ...] [--guides GUIDE ... --thresholds T ...]

The same as ``python -m grass_mm.cli.sampling_purity``; ``grass_mm.apis.sampling_purity`` says
what is measured and written.
"""
from grass_mm.cli.sampling_purity import main

if __name__ == '__main__':
    main()
