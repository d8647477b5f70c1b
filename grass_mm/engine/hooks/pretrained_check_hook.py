import logging
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS
from mmengine.runner.checkpoint import CheckpointLoader
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class PretrainedCheckHook(Hook):
    """Fail a run whose pretrained checkpoint left weights of a module uninitialised.

    mmengine loads ``init_cfg=dict(type='Pretrained', ...)`` with ``strict=False`` and only logs
    mismatched keys: a ResNetV1c deep stem fed a plain-stem checkpoint silently trains from a
    random stem. After initialisation, this hook compares every tensor of the module with the
    checkpoint (after ``prefix`` stripping) and raises on any missing, mis-shaped or different
    tensor. Modules without a ``Pretrained`` init_cfg (random-init baselines), and runs that
    load or resume a whole model, are skipped with a log line.

    Args:
        modules (Sequence[str]): Attribute paths of the modules to check in the model.
            Defaults to ``('backbone', )``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, modules: Sequence[str] = ('backbone', )) -> None:
        self.modules = tuple(modules)

    def before_train(self, runner) -> None:
        """Check after weights were initialised (Runner.train inits before this hook)."""
        if runner.cfg.get('load_from') is not None or runner.cfg.get('resume'):
            print_log(
                'PretrainedCheckHook: a whole model is loaded or resumed; skipped',
                logger='current')
            return
        model = get_ori_model(runner.model)
        checked = 0
        for path in self.modules:
            module = model
            for name in path.split('.'):
                module = getattr(module, name)
            init_cfg = getattr(module, 'init_cfg', None)
            if not isinstance(init_cfg, dict) or init_cfg.get('type') not in ('Pretrained',
                                                                              'PretrainedBands'):
                print_log(
                    f'PretrainedCheckHook: {path} has no Pretrained init_cfg '
                    '(random initialisation)',
                    logger='current',
                    level=logging.WARNING)
                continue
            problems = compare_with_checkpoint(
                module.state_dict(), init_cfg['checkpoint'], init_cfg.get('prefix'),
                init_cfg.get('rgb_bands',
                             (0, 1, 2)) if init_cfg['type'] == 'PretrainedBands' else None)
            if problems:
                raise RuntimeError(
                    f'{path} is not fully initialised from {init_cfg["checkpoint"]} '
                    f'(prefix={init_cfg.get("prefix")!r}): ' + '; '.join(problems[:8]) +
                    (f' and {len(problems) - 8} more' if len(problems) > 8 else '') +
                    '. Check the backbone type (plain-stem ResNet, not ResNetV1c), depth and '
                    'prefix.')
            print_log(
                f'PretrainedCheckHook: all {len(module.state_dict())} tensors of {path} '
                f'equal {init_cfg["checkpoint"]}',
                logger='current')
            checked += len(module.state_dict())
        if checked:  # a scalar that tools read (scalars.json), beside the sentence people read
            runner.visualizer.add_scalars({'pretrained/tensors_equal': checked}, step=0)


def compare_with_checkpoint(state: Dict[str, torch.Tensor],
                            checkpoint: str,
                            prefix: Optional[str] = None,
                            rgb_bands: Optional[Sequence[int]] = None) -> List[str]:
    """List how ``state`` differs from a checkpoint's (prefix-stripped) tensors.

    Args:
        state: A module's ``state_dict()``.
        checkpoint: Path of the checkpoint (full training checkpoint or tensors only).
        prefix: Keep only keys starting with this and strip it, as ``PretrainedInit`` does.
        rgb_bands: Compare with the checkpoint as ``PretrainedBands`` adapts it (its RGB stem
            kernel turned into the model's band count); None compares the file as it is.

    Returns:
        Human-readable problems; empty when every tensor of ``state`` equals the file's.
    """
    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    loaded = loaded.get('state_dict', loaded)
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        loaded = {k[len(prefix):]: v for k, v in loaded.items() if k.startswith(prefix)}
    if rgb_bands is not None:
        from grass_mm.models.utils.band_init import adapt_state_dict
        try:
            loaded = adapt_state_dict(loaded, state, rgb_bands, checkpoint)
        except ValueError as err:
            return [str(err)]
    problems = []
    for key, value in state.items():
        if key.endswith('num_batches_tracked'):
            continue
        if key not in loaded:
            problems.append(f'{key} missing from the checkpoint')
        elif tuple(loaded[key].shape) != tuple(value.shape):
            problems.append(f'{key} has shape {tuple(loaded[key].shape)} in the checkpoint, '
                            f'{tuple(value.shape)} in the model')
        elif not torch.equal(loaded[key].to(value), value):
            problems.append(f'{key} differs from the checkpoint')
    return problems
