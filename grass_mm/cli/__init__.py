"""The command lines: argument parsing, defaults and the one-line refusals of bad arguments.

``tools/`` and the benchmark's child processes (``python -m grass_mm.cli.<name>``, one process
per step for its peak memory) run these; the work they call is in :mod:`grass_mm.apis` and the
rooms below it, which hold no argparse. :mod:`.checks` holds the argument checks every tool uses.
"""
