"""Benchmark runs and their records: paired pretraining arms, probes, purity."""
from .paired import PairedPlan, load_paired_matrix, run_paired_seed

__all__ = ['PairedPlan', 'load_paired_matrix', 'run_paired_seed']
