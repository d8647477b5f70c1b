"""Train with an mmengine Runner (self-supervised pretraining or segmentation).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT] | --new-run] [--amp]
                          [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

The same as ``python -m grass_mm.cli.train``; the work is ``grass_mm.apis.train``. The work dir
is guarded (grass_mm.utils.workdir): a second run into a live one is refused, one that holds
checkpoints needs --resume (continue) or --new-run (a fresh run in a subfolder), and a resume
continues a checkpoint only in its own run's work dir. SIGTERM saves a checkpoint and exits 143.
"""
from grass_mm.cli.train import main

if __name__ == '__main__':
    main()
