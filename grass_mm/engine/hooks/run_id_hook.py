from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RunIdHook(Hook):
    """Record the run's id in every checkpoint it writes (``meta.run_id``), so that a resume can
    tell its own run's checkpoints from another's (:mod:`grass_mm.utils.run_id`).

    Args:
        run_id (str, optional): The id :func:`grass_mm.utils.run_id.claim_run` gave the run
            (None on the ranks that write no checkpoint).
    """

    priority = 'VERY_HIGH'

    def __init__(self, run_id: Optional[str] = None) -> None:
        self.run_id = run_id

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.run_id is not None:
            checkpoint.setdefault('meta', {})['run_id'] = self.run_id
