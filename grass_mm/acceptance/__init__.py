"""The first GPU run's acceptance (``tools/misc/gpu_acceptance.py``): its short-run configs,
its steps and summary, and the checks of what each step produced."""
from .checks import bench_check, finetune_check, pytest_check, stage_check
from .configs import short_potsdam_configs
from .steps import Steps, Terminated, write_summary

__all__ = [
    'Steps', 'Terminated', 'bench_check', 'finetune_check', 'pytest_check', 'short_potsdam_configs',
    'stage_check', 'write_summary'
]
