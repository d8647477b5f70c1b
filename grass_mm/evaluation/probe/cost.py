"""What the online dense probe costs a pretraining: probe time against training-step time,
measured side by side in one process (interleaved, so contention hits both alike)."""
import statistics
import time
from typing import Dict

from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from .dense_probe import DenseProbe
from .features import normalise_with


def probe_cost(runner: Runner,
               probe: DenseProbe,
               interval: int,
               by_epoch: bool = True,
               steps: int = 6,
               probes: int = 2) -> Dict[str, float]:
    """Time ``steps`` training steps of ``runner`` and ``probes`` runs of ``probe`` on its
    backbone, and count the probes a schedule with this ``interval`` makes.

    Training steps run in the GraSS stage the schedule spends most steps in (GS where the
    model has stages), on real batches of the config's data, with its optimiser. A probe runs
    as the online probe does: the backbone in eval mode, the model's normalisation.

    Args:
        runner: A Runner built from the pretraining config.
        probe: The probe to time (``DenseProbeHook.build_probe()`` builds the config's).
        interval: Probe every ``interval`` epochs (``by_epoch``) or iterations.
        by_epoch: Count ``interval`` in epochs.
        steps: Training steps timed.
        probes: Probes timed.

    Returns:
        ``step_s`` and ``probe_s`` (medians), ``probes`` and ``steps`` of the full schedule,
        and ``share``: the probes' time over the whole run's (training plus probes).
    """
    optim_wrapper = runner.build_optim_wrapper(runner.cfg.optim_wrapper)
    model = get_ori_model(runner.model)
    if hasattr(model, 'stage'):
        model.stage = 'gs'
    normalise = normalise_with(model.data_preprocessor)
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
            model.backbone.eval()
            probe.evaluate(model.backbone, normalise)
            model.backbone.train()
            probe_times.append(time.perf_counter() - start)
    step_s, probe_s = statistics.median(step_times), statistics.median(probe_times)
    per_epoch = len(runner.build_dataloader(runner.cfg.train_dataloader))
    length = runner.cfg.train_cfg.get('max_epochs' if by_epoch else 'max_iters')
    total_steps = length * per_epoch if by_epoch else length
    count = length // interval + 1 + (length % interval != 0)
    share = count * probe_s / (total_steps * step_s + count * probe_s)
    return dict(step_s=step_s, probe_s=probe_s, probes=count, steps=total_steps, share=share)
