"""Linear segmentation probe and k-NN patch probe of frozen backbones, leave-one-tile-out.

    python tools/analysis_tools/linear_probe.py BACKBONE [BACKBONE ...] --out-dir OUT
        [--names NAME ...] [--data-root DIR] [--config CFG] [--folds 1 2 ...] [--seed 0]
        [--dataset-config SEG_CONFIG]

``python -m grass_mm.cli.linear_probe`` with this checkout's defaults (the Dubai GraSS config,
``$GRASS_MM_DATA`` or ``../shared/data``); see that module for the protocols and outputs.
"""
import os.path as osp

from grass_mm.cli.linear_probe import main

if __name__ == '__main__':
    main(repo=osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
