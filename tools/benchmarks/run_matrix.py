"""Run a downstream benchmark matrix: pretrain each method once, then fine-tune mmseg heads on it.

    python tools/benchmarks/run_matrix.py configs/benchmark_matrix/dubai_aerial_cpu.py
        [--work-dir DIR] [--methods grass simclr] [--heads deeplabv3plus] [--protocols full]
        [--fractions 1.0] [--seeds 0] [--gpus 4] [--dry-run]

A matrix file (see ``configs/benchmark_matrix/``) names the pretraining config of every method,
the ablations, the downstream configs per head and protocol, the label fractions and the seeds.
Every pretraining and every fine-tuning cell runs ``tools/train.py`` (with ``--gpus N`` > 1, or a
matrix's ``gpus``, an int or ``dict(pretrain=P, finetune=F)``: ``tools/dist_train.sh`` over
N processes) in its own work dir on a
config dumped there (``run_config.py``: the exact settings of the cell). A cell that finished
holds ``result.json`` and is skipped on the next run; an interrupted one resumes from its last
checkpoint. A pretraining exports ``backbone.pth`` beside its checkpoints; one older than the
latest checkpoint is from an earlier pretraining there and is refused, not fine-tuned from.
Seeds are the outer loop, so a partial run leaves complete method comparisons.
Collect the tables with ``tools/benchmarks/collect_results.py``.
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint
from mmengine.utils import ProgressBar

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)  # grass_mm from this checkout when it is not installed

from grass_mm.datasets import convert_dubai_aerial
from grass_mm.utils import extract_backbone, weights_sha256
from grass_mm.utils.cli import existing_config

MATRIX_KEYS = ('work_dir', 'methods', 'downstream', 'fractions', 'seeds')


def load_matrix(path: str) -> Config:
    """Load a matrix file and check it names everything the runner needs."""
    matrix = Config.fromfile(path)
    missing = [k for k in MATRIX_KEYS if k not in matrix]
    if missing:
        raise KeyError(f'{path}: matrix keys {missing} are missing (expected {MATRIX_KEYS})')
    for fraction in matrix.fractions:
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f'{path}: fractions must be in (0, 1], got {fraction}')
    for head, protocols in matrix.downstream.items():
        for protocol, cfg in protocols.items():
            if not osp.isfile(cfg):
                raise FileNotFoundError(f'{path}: downstream.{head}.{protocol}: no file {cfg}')
    for name, spec in dict(matrix.methods, **matrix.get('ablations', {})).items():
        cfg = spec['config'] if isinstance(spec, dict) else spec
        if cfg is not None and not osp.isfile(cfg):
            raise FileNotFoundError(f'{path}: method {name}: no pretraining config {cfg}')
    return matrix


def seg_data_root(matrix: Config, work_dir: str) -> Optional[str]:
    """Return the mmseg-layout data folder, converting the Dubai tiles once if asked to."""
    source = matrix.get('convert_dubai_aerial')
    if source is None:
        return matrix.get('seg_data_root')
    out = osp.join(work_dir, 'data', 'dubai_aerial')
    if not osp.isdir(osp.join(out, 'ann_dir', 'val')):
        if not osp.isdir(source):
            raise FileNotFoundError(f'convert_dubai_aerial: no folder {source} (set '
                                    'GRASS_MM_DATA to the folder holding dubai_aerial/)')
        convert_dubai_aerial(source, out)
    return out


def pretrain_cells(matrix: Config, methods: List[str]) -> List[dict]:
    """One cell per method that pretrains (the random-init baseline has none)."""
    specs = dict(matrix.methods, **matrix.get('ablations', {}))
    cells = []
    for name in methods:
        spec = specs[name]
        if spec is None:
            continue
        spec = spec if isinstance(spec, dict) else dict(config=spec)
        cells.append(
            dict(
                kind='pretrain',
                method=name,
                config=spec['config'],
                cfg_options=spec.get('cfg_options', {})))
    return cells


def finetune_cells(matrix: Config, args: argparse.Namespace) -> List[dict]:
    """Every (seed, head, protocol, fraction, method) cell the filters keep, seeds outermost."""
    ablation_scope = matrix.get('ablation_cells', {})
    cells = []
    for seed in matrix.seeds:
        for head, protocols in matrix.downstream.items():
            for protocol, config in protocols.items():
                for fraction in matrix.fractions:
                    for method in list(matrix.methods) + list(matrix.get('ablations', {})):
                        cell = dict(
                            kind='finetune',
                            method=method,
                            head=head,
                            protocol=protocol,
                            fraction=fraction,
                            seed=seed,
                            config=config)
                        if method in matrix.get('ablations',
                                                {}) and not all(cell[k[:-1]] in v
                                                                for k, v in ablation_scope.items()):
                            continue
                        if _selected(cell, args):
                            cells.append(cell)
    return cells


def _selected(cell: dict, args: argparse.Namespace) -> bool:
    for key in ('method', 'head', 'protocol', 'fraction', 'seed'):
        wanted = getattr(args, key + 's')
        if wanted is not None and cell[key] not in wanted:
            return False
    return True


def cell_dir(work_dir: str, cell: dict) -> str:
    if cell['kind'] == 'pretrain':
        return osp.join(work_dir, 'pretrain', cell['method'])
    name = (f"{cell['head']}_{cell['protocol']}_{cell['fraction'] * 100:g}pct-labels_"
            f"seed{cell['seed']}")
    return osp.join(work_dir, 'finetune', cell['method'], name)


def build_config(matrix: Config, cell: dict, work_dir: str, data_root: Optional[str]) -> Config:
    """The exact config of one cell."""
    cfg = Config.fromfile(cell['config'])
    if cell['kind'] == 'pretrain':
        # The cell's own change last: matrix-wide options (a shorter schedule, say) must not
        # undo an ablation's setting and silently make it a twin of the default.
        cfg.merge_from_dict(matrix.get('pretrain_cfg_options', {}))
        cfg.merge_from_dict(cell['cfg_options'])
        cfg.randomness = dict(seed=matrix.get('pretrain_seed', 0))
        return cfg
    if data_root is not None:
        for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
            loader.dataset.data_root = data_root
    if cell['fraction'] < 1.0:
        # The same images for every method: the comparison is paired. A matrix's own
        # `subset_seed` fixes them across fine-tuning seeds too (benchmark v2); without it the
        # subset follows the fine-tuning seed (the v1 matrix, kept as recorded).
        cfg.train_dataloader.dataset = dict(
            type='LabelFraction',
            fraction=cell['fraction'],
            seed=matrix.get('subset_seed', cell['seed']),
            dataset=cfg.train_dataloader.dataset)
    backbone = None
    if matrix.methods.get(cell['method'], '') is not None:
        backbone = osp.abspath(osp.join(work_dir, 'pretrain', cell['method'], 'backbone.pth'))
    cfg.model.backbone.init_cfg = (None if backbone is None else dict(
        type='Pretrained', checkpoint=backbone))
    cfg.val_evaluator = cfg.test_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'])
    cfg.merge_from_dict(matrix.get('finetune_cfg_options', {}))
    cfg.randomness = dict(seed=cell['seed'])
    return cfg


def cpu_model() -> str:
    """The processor and the kernels torch picked for it, e.g. ``AMD EPYC (family 25, model 1,
    stepping 1), torch AVX2``: floating-point results, and so a training, may differ by CPU."""
    info = {}
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = info.get('model name') or platform.processor() or platform.machine()
    if 'cpu family' in info:
        name += (f" (family {info['cpu family']}, model {info.get('model')}, "
                 f"stepping {info.get('stepping')})")
    return f'{name}, torch {torch.backends.cpu.get_cpu_capability()}'


def train_command(config: str, work_dir: str, gpus: int = 1) -> List[str]:
    """``tools/train.py`` for one process, ``tools/dist_train.sh`` (torchrun) for ``gpus`` > 1."""
    resume = ['--resume'] if find_latest_checkpoint(work_dir) else []
    if gpus > 1:
        return [
            'bash',
            osp.join(REPO, 'tools', 'dist_train.sh'), config,
            str(gpus), '--work-dir', work_dir
        ] + resume
    return [sys.executable,
            osp.join(REPO, 'tools', 'train.py'), config, '--work-dir', work_dir] + resume


def run_train(config: str, work_dir: str, log: str, gpus: int = 1) -> dict:
    """Run a cell's training as a child; return its exit status, wall time, peak RSS and CPU."""
    start = time.time()
    with open(log, 'a') as out:
        child = subprocess.Popen(
            train_command(config, work_dir, gpus),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(
                os.environ, PYTHONPATH=os.pathsep.join([REPO,
                                                        os.environ.get('PYTHONPATH', '')])))
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux: the largest of the trainer and its data workers.
    return dict(
        returncode=child.returncode,
        wall_s=round(time.time() - start, 1),
        max_rss_gb=round(usage.ru_maxrss / 2**20, 2),
        cpu=cpu_model())


def last_scalars(work_dir: str, key: str) -> Optional[dict]:
    """The last record holding ``key`` in the newest run's ``vis_data/scalars.json``."""
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    for run in reversed(runs):
        with open(osp.join(work_dir, run, 'vis_data', 'scalars.json')) as f:
            records = [json.loads(line) for line in f if key in line]
        if records:
            return dict(records[-1], log=osp.join(work_dir, run, f'{run}.log'))
    return None


def run_cell(matrix: Config,
             cell: dict,
             work_dir: str,
             data_root: Optional[str],
             dry_run: bool,
             gpus: int = 1) -> str:
    """Run one cell unless it finished before; return its status line."""
    wd = cell_dir(work_dir, cell)
    result_file = osp.join(wd, 'result.json')
    if osp.isfile(result_file):
        return 'done before'
    os.makedirs(wd, exist_ok=True)
    config = osp.join(wd, 'run_config.py')
    cfg = build_config(matrix, cell, work_dir, data_root)
    cfg.dump(config)
    if dry_run:
        return f'would run {config}'
    usage = run_train(config, wd, osp.join(wd, 'stdout.log'), gpus)
    if usage['returncode'] != 0:
        return f"FAILED (exit {usage['returncode']}; see {osp.join(wd, 'stdout.log')})"
    result = dict(cell, **usage, work_dir=wd)
    if cell['kind'] == 'pretrain':
        backbone, checkpoint = osp.join(wd, 'backbone.pth'), find_latest_checkpoint(wd)
        if not osp.isfile(backbone):
            extract_backbone(checkpoint, backbone)
        elif osp.getmtime(backbone) < osp.getmtime(checkpoint):
            # Left from an earlier pretraining in this folder: its fine-tunings would silently
            # start from weights this run did not train.
            return (f'FAILED ({backbone} is older than {checkpoint}, so it is not this '
                    'pretraining\'s backbone; move it away and rerun to extract the new one)')
        result['backbone'] = backbone
        result['backbone_sha256'] = weights_sha256(backbone)
        status = f"{usage['wall_s']:.0f} s"
    else:
        metrics = last_scalars(wd, '"mIoU"')
        if metrics is None:
            return f'FAILED (no mIoU in {wd}/*/vis_data/scalars.json)'
        result['metrics'] = {k: v for k, v in metrics.items() if k not in ('log', 'step')}
        result['log'] = metrics['log']
        # Which pretraining this cell started from, for collections that span sessions.
        init = cfg.model.backbone.init_cfg
        result['backbone_sha256'] = weights_sha256(init.checkpoint) if init else None
        status = f"mIoU {metrics['mIoU']:.2f}, {usage['wall_s']:.0f} s"
    with open(result_file + '.tmp', 'w') as f:
        json.dump(result, f, indent=1)
    os.replace(result_file + '.tmp', result_file)  # a result file is always complete
    return status


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'matrix', type=existing_config, help='matrix file, e.g. configs/benchmark_matrix/*.py')
    parser.add_argument('--work-dir', help='override the matrix work_dir')
    parser.add_argument('--methods', nargs='+', help='only these methods (and ablations)')
    parser.add_argument('--heads', nargs='+', help='only these decode heads')
    parser.add_argument('--protocols', nargs='+', help='only these protocols (full/frozen)')
    parser.add_argument('--fractions', nargs='+', type=float, help='only these label fractions')
    parser.add_argument('--seeds', nargs='+', type=int, help='only these seeds')
    parser.add_argument(
        '--gpus',
        type=int,
        help='processes per cell: > 1 runs each cell through tools/dist_train.sh (torchrun), '
        'e.g. 4 for the 4xb4 configs (default: the matrix\'s gpus, an int or '
        'dict(pretrain=P, finetune=F), else 1)')
    parser.add_argument(
        '--dry-run', action='store_true', help='write every cell\'s run_config.py, train nothing')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    matrix = load_matrix(args.matrix)
    work_dir = args.work_dir or matrix.work_dir
    known = list(matrix.methods) + list(matrix.get('ablations', {}))
    for name in args.methods or []:
        if name not in known:
            raise SystemExit(f'--methods: unknown method {name!r}; the matrix has {known}')
    finetune = finetune_cells(matrix, args)
    needed = [m for m in known if any(c['method'] == m for c in finetune)]
    cells = pretrain_cells(matrix, needed) + finetune
    data_root = seg_data_root(matrix, work_dir)
    gpus = matrix.get('gpus', 1)  # processes per cell: an int, or dict(pretrain=P, finetune=F)
    gpus = dict(pretrain=gpus, finetune=gpus) if isinstance(gpus, int) else dict(gpus)
    if args.gpus:
        gpus = dict(pretrain=args.gpus, finetune=args.gpus)
    print(
        f'{len(cells)} cells ({len(cells) - len(finetune)} pretrainings, {len(finetune)} '
        f'fine-tunings) in {work_dir}',
        flush=True)
    failed: Dict[str, str] = {}
    bar = ProgressBar(len(cells))
    for cell in cells:
        if cell['kind'] == 'finetune' and cell['method'] in failed:
            status = f"skipped: pretraining of {cell['method']} failed"
        else:
            status = run_cell(matrix, cell, work_dir, data_root, args.dry_run,
                              gpus.get(cell['kind'], 1))
        if status.startswith('FAILED') and cell['kind'] == 'pretrain':
            failed[cell['method']] = status
        bar.update()
        print(f"\n{osp.relpath(cell_dir(work_dir, cell), work_dir)}: {status}", flush=True)
    failures = [c for c in cells if not osp.isfile(osp.join(cell_dir(work_dir, c), 'result.json'))]
    if failures and not args.dry_run:
        raise SystemExit(f'{len(failures)} of {len(cells)} cells did not finish; rerun the same '
                         'command to retry them (finished cells are skipped)')


if __name__ == '__main__':
    main()
