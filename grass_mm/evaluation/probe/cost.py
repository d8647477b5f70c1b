"""What the online dense probe costs a pretraining: probe time against training-step time,
measured side by side in one process (interleaved, so contention hits both alike)."""
import statistics
import time
from typing import Dict

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from .dense_probe import DenseProbe
from .splits import load_split


def probe_cost(runner: Runner, hook: Hook, steps: int = 6, probes: int = 2) -> Dict[str, float]:
    """Time ``steps`` training steps and ``probes`` probes of ``hook``, the runner's
    :class:`~grass_mm.engine.hooks.DenseProbeHook`.

    Training steps run in the GraSS stage the schedule spends most steps in (GS where the
    model has stages), on real batches of the config's data, with its optimiser.

    Returns:
        ``step_s`` and ``probe_s`` (medians), ``probes`` and ``steps`` of the full schedule,
        and ``share``: the probes' time over the whole run's (training plus probes).
    """
    train, test = (load_split(s, hook.scale, hook.max_images) for s in hook.splits)
    hook.probe = DenseProbe.held_out(train, test, **hook.probe_args)
    optim_wrapper = runner.build_optim_wrapper(runner.cfg.optim_wrapper)
    model = get_ori_model(runner.model)
    if hasattr(model, 'stage'):
        model.stage = 'gs'
    loader = iter(runner.build_dataloader(runner.cfg.train_dataloader))
    step_times, probe_times = [], []
    per_probe = max(1, steps // probes)
    for i in range(steps):
        data = next(loader)
        start = time.perf_counter()
        runner.model.train_step(data, optim_wrapper)
        step_times.append(time.perf_counter() - start)
        if (i + 1) % per_probe == 0 and len(probe_times) < probes:
            start = time.perf_counter()
            hook.evaluate(runner)
            probe_times.append(time.perf_counter() - start)
    step_s, probe_s = statistics.median(step_times), statistics.median(probe_times)
    by_epoch = hook.by_epoch
    per_epoch = len(runner.build_dataloader(runner.cfg.train_dataloader))
    length = runner.cfg.train_cfg.get('max_epochs' if by_epoch else 'max_iters')
    total_steps = length * per_epoch if by_epoch else length
    count = length // hook.interval + 1 + (length % hook.interval != 0)
    share = count * probe_s / (total_steps * step_s + count * probe_s)
    return dict(step_s=step_s, probe_s=probe_s, probes=count, steps=total_steps, share=share)
