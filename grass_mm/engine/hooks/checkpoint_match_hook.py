from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmengine.runner import find_latest_checkpoint


@HOOKS.register_module()
class CheckpointMatchHook(Hook):
    """Refuse to resume or ``load_from`` a checkpoint that does not fit the model.

    mmengine loads ``load_from``/``resume`` checkpoints with ``strict=False`` and only logs
    missing, unexpected or mis-shaped tensors, so a checkpoint of another depth or algorithm
    would train on from a half-loaded model. This hook (mmengine's ``after_load_checkpoint``
    point, before the weights are copied) raises instead, naming the file and the first
    differences. Registered in mmengine's root registry: it works in any scope.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        theirs = checkpoint.get('state_dict', checkpoint)
        theirs = {k[7:] if k.startswith('module.') else k: v for k, v in theirs.items()}
        ours = model.state_dict()
        problems = [f'missing {k}' for k in ours if k not in theirs]
        problems += [f'unexpected {k}' for k in theirs if k not in ours]
        problems += [
            f'{k}: checkpoint {tuple(theirs[k].shape)} vs model {tuple(v.shape)}'
            for k, v in ours.items() if k in theirs and hasattr(theirs[k], 'shape')
            and tuple(theirs[k].shape) != tuple(v.shape)
        ]
        if problems:
            source = runner._load_from or find_latest_checkpoint(runner.work_dir)
            raise ValueError(f'checkpoint {source} does not match the model '
                             f'({type(model).__name__}): {len(problems)} differences, e.g. ' +
                             '; '.join(problems[:6]) + '. Is it from another config (depth, '
                             'algorithm)? For a backbone only, use model.backbone.init_cfg.')
