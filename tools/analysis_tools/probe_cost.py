"""The online dense probe's share of a pretraining's wall time, measured side by side.

    python tools/analysis_tools/probe_cost.py CONFIG [--steps 6] [--probes 2]

Runs a few training steps of CONFIG (its data, model and optimiser; GS stage where the model has
stages) interleaved with probes of its ``DenseProbeHook``, and prints the median step and probe
times and the probes' share of the whole schedule at the hook's interval. Timings on a shared
machine are noisy; the ratio from one run is what to read.
"""
import argparse

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

import grass_mm  # noqa: F401  (stack fixes, registration)
from grass_mm.cli.checks import existing_config
from grass_mm.engine.hooks import DenseProbeHook
from grass_mm.evaluation.probe.cost import probe_cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=existing_config, help='pretraining config with the hook')
    parser.add_argument('--steps', type=int, default=6, help='training steps timed')
    parser.add_argument('--probes', type=int, default=2, help='probes timed')
    parser.add_argument('--work-dir', default='work_dirs/probe_cost', help='runner work dir')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    cfg.log_level = 'WARNING'
    MMLogger.get_instance('mmengine').setLevel('WARNING')
    runner = Runner.from_cfg(cfg)
    hook = next((h for h in runner.hooks if isinstance(h, DenseProbeHook)), None)
    if hook is None:
        raise SystemExit(f'{args.config}: no DenseProbeHook in custom_hooks')
    r = probe_cost(runner, hook.build_probe(), hook.interval, hook.by_epoch, args.steps,
                   args.probes)
    print(f"{args.config}: step {r['step_s']:.2f} s, probe {r['probe_s']:.2f} s (medians); "
          f"{r['probes']} probes over {r['steps']} steps: {r['share']:.1%} of the run")


if __name__ == '__main__':
    main()
