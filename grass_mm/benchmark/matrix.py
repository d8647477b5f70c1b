"""A paired matrix file (``configs/benchmark_matrix/``): its keys, its warm-ups, loading it.

A matrix names the pretraining seeds, optionally the config of the shared init
(``init_config``; default: the first warm-up's), the warm-ups (``warmups``: name -> ``dict(config=,
epochs=)``; one may be given as ``warmup``, named ``'warmup'``), the arms (``from_='warmup'``
with ``warmup=`` naming which, or ``from_='init'``), the probe epochs and the probe; optionally
purity, a guide screen, the mmseg step (:mod:`.segmentation`), ``gpus`` and the record's
``comparisons``, ``gate``, ``cost_pairs`` and ``gs_pairs`` (:mod:`.record`).
"""
import os.path as osp
from typing import Dict

from mmengine.config import Config, ConfigDict

PAIRED_KEYS = ('work_dir', 'pretrain_seeds', 'arms', 'probe_epochs', 'probe')


def warmups(matrix: Config) -> Dict[str, ConfigDict]:
    """Warm-up name -> ``dict(config=, epochs=)``, in the matrix's order (``warmup`` alone is
    named ``'warmup'``)."""
    return dict(matrix.warmups) if 'warmups' in matrix else dict(warmup=matrix.warmup)


def arm_warmup(matrix: Config, arm: str) -> str:
    """The warm-up an arm continues (its ``warmup`` key, else the first one)."""
    return matrix.arms[arm].get('warmup', next(iter(warmups(matrix))))


def fill_names(node, names: Dict[str, str]):
    """``node`` with ``{name}`` in its strings replaced by ``names`` (a preset family's base file
    writes its paths once; each preset names its dataset's, e.g. ``names=dict(data='potsdam')``).
    """
    if isinstance(node, str):
        return node.format(**names) if '{' in node else node
    if isinstance(node, dict):  # a file's private helpers (``_cfg``) are left as they are
        return {k: v if k.startswith('_') else fill_names(v, names) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(fill_names(v, names) for v in node)
    return node


def load_paired_matrix(path: str) -> Config:
    """Load a paired matrix file (filling its ``names`` into its strings) and check it names
    what the runner needs."""
    matrix = Config.fromfile(path)
    if matrix.get('names'):
        try:
            matrix = Config(fill_names(matrix.to_dict(), dict(matrix.names)))
        except KeyError as err:
            raise KeyError(f'{path}: a path holds {{{err.args[0]}}}, which names does not give '
                           f'(names: {sorted(matrix.names)})') from None
    missing = [k for k in PAIRED_KEYS if k not in matrix]
    if 'warmup' not in matrix and 'warmups' not in matrix:
        missing.append('warmup (or warmups)')
    if missing:
        raise KeyError(f'{path}: paired-matrix keys {missing} are missing (expected '
                       f'{PAIRED_KEYS} and warmup or warmups)')
    configs = {f'warmups.{k}': v.config for k, v in warmups(matrix).items()}
    if matrix.get('init_config'):
        configs['init_config'] = matrix.init_config
    configs.update({f'arms.{k}': v.config for k, v in matrix.arms.items()})
    for name, cfg in configs.items():
        if not osp.isfile(cfg):
            raise FileNotFoundError(f'{path}: {name}: no config {cfg}')
    for name, arm in matrix.arms.items():
        if arm.get('from_') not in ('warmup', 'init'):
            raise ValueError(f"{path}: arms.{name}.from_ must be 'warmup' or 'init', got "
                             f"{arm.get('from_')!r}")
        if arm.get('from_') == 'warmup' and arm_warmup(matrix, name) not in warmups(matrix):
            raise KeyError(f"{path}: arms.{name}.warmup={arm.warmup!r} is not one of the "
                           f'warm-ups {list(warmups(matrix))}')
    return matrix
