"""Retired with the v1 benchmark harness: use ``tools/benchmarks/smoke_paired.py``.

The paired harness runs every preset (docs/en/user_guides/benchmark.md); the v1 records stay
under docs/results/ as history.
"""
import sys

sys.stderr.write(
    'tools/benchmarks/smoke_matrix.py is retired (the v1 harness): run python '
    'tools/benchmarks/smoke_paired.py MATRIX CROP (docs/en/user_guides/benchmark.md)\n')
sys.exit(2)
