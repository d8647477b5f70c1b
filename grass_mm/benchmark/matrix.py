"""Benchmark matrices: cells, their configs, and running them (``tools/benchmarks/run_matrix.py``).

A matrix file (``configs/benchmark_matrix/``) names the pretraining config of every method, the
ablations, the downstream configs per head and protocol, the label fractions and the seeds. Every
cell runs ``tools/train.py`` of :func:`repo_root` (``tools/dist_train.sh`` for several processes)
in its own work dir on a config dumped there.
"""
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from typing import List, Optional

import torch
from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint

from grass_mm.datasets import convert_dubai_aerial
from grass_mm.utils import extract_backbone, weights_sha256


def repo_root() -> str:
    """The checkout whose tools run the cells: the working directory when it holds
    ``tools/train.py`` (matrices name configs relative to the repository root, so the tools run
    from there), else the copy of ``tools/`` that a regular install puts in ``grass_mm/.mim``."""
    if osp.isfile(osp.join(os.getcwd(), 'tools', 'train.py')):
        return os.getcwd()
    return osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim')


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


def finetune_cells(matrix: Config, args) -> List[dict]:
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


def _selected(cell: dict, args) -> bool:
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
            osp.join(repo_root(), 'tools', 'dist_train.sh'), config,
            str(gpus), '--work-dir', work_dir
        ] + resume
    return [
        sys.executable,
        osp.join(repo_root(), 'tools', 'train.py'), config, '--work-dir', work_dir
    ] + resume


def run_train(config: str, work_dir: str, log: str, gpus: int = 1) -> dict:
    """Run a cell's training as a child; return its exit status, wall time, peak RSS and CPU."""
    start = time.time()
    with open(log, 'a') as out:
        child = subprocess.Popen(
            train_command(config, work_dir, gpus),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(
                os.environ,
                PYTHONPATH=os.pathsep.join([repo_root(),
                                            os.environ.get('PYTHONPATH', '')])))
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux: the largest of the trainer and its data workers.
    return dict(
        returncode=child.returncode,
        wall_s=round(time.time() - start, 1),
        max_rss_gb=round(usage.ru_maxrss / 2**20, 2),
        cpu=cpu_model())


def _runs(work_dir: str) -> List[str]:
    """The timestamped runs of a work dir that logged scalars, oldest first."""
    return sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))


def _records(work_dir: str, run: str, key: str) -> List[dict]:
    with open(osp.join(work_dir, run, 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f if key in line]


def last_scalars(work_dir: str, key: str) -> Optional[dict]:
    """The last record holding ``key`` in the newest run's ``vis_data/scalars.json``."""
    for run in reversed(_runs(work_dir)):
        records = _records(work_dir, run, key)
        if records:
            return dict(records[-1], log=osp.join(work_dir, run, f'{run}.log'))
    return None


def scalar_curve(work_dir: str, key: str) -> List[List[float]]:
    """``[step, value]`` of every record holding ``key``, over all runs of the work dir (a
    resumed training logs into a new run folder; a step logged again replaces the old one)."""
    curve = {}
    for run in _runs(work_dir):
        curve.update({r['step']: r[key] for r in _records(work_dir, run, key) if key in r})
    return [[step, curve[step]] for step in sorted(curve)]


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
