from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import find_latest_checkpoint
from mmpretrain.utils import get_ori_model

from grass_mm.utils.checkpoint import state_mismatches


@HOOKS.register_module()
class CheckpointMatchHook(Hook):
    """Refuse to resume or ``load_from`` a checkpoint that does not fit the model.

    mmengine loads ``load_from``/``resume`` checkpoints with ``strict=False`` and only logs
    missing, unexpected or mis-shaped tensors, so a checkpoint of another depth or algorithm
    would train on from a half-loaded model. This hook (mmengine's ``after_load_checkpoint``
    point, before the weights are copied) raises instead, naming the file and the first
    differences.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = get_ori_model(runner.model)
        problems = state_mismatches(model.state_dict(), checkpoint.get('state_dict', checkpoint))
        if problems:
            # resume without load_from resumes the work dir's latest checkpoint
            source = runner.cfg.get('load_from') or find_latest_checkpoint(runner.work_dir)
            raise ValueError(f'checkpoint {source} does not match the model '
                             f'({type(model).__name__}): {len(problems)} differences, e.g. ' +
                             '; '.join(problems[:6]) + '. Is it from another config (depth, '
                             'algorithm)? For a backbone only, use model.backbone.init_cfg.')
