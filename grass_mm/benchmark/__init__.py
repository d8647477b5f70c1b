"""Benchmark runs and their records: paired pretraining arms, probes, purity, mmseg."""
from .matrix import load_paired_matrix
from .paired import PairedPlan, run_paired_seed

__all__ = ['PairedPlan', 'load_paired_matrix', 'run_paired_seed']
