"""The acceptance run's plumbing: one deadline, a summary after every step, process groups killed
whole, and SIGTERM ending the running step with the summary written."""
import json
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from grass_mm.acceptance import Steps, write_summary
from tests.helpers import tool_env


def steps_with_summary(tmp_path, budget=60):
    steps = Steps(str(tmp_path), budget, str(tmp_path))
    steps.on_step = lambda: write_summary(str(tmp_path), steps, 'test', True, {}, finished=False)
    return steps


def test_the_summary_is_rewritten_after_every_step(tmp_path):
    steps = steps_with_summary(tmp_path)
    steps.run('first', [sys.executable, '-c', 'print("one")'], limit=30)
    summary = json.loads((tmp_path / 'summary.json').read_text())
    assert [s['step'] for s in summary['steps']] == ['first']
    assert summary['finished'] is False and summary['passed'] is False
    assert 'INCOMPLETE' in (tmp_path / 'summary.md').read_text()
    steps.run('second', [sys.executable, '-c', 'import sys; sys.exit(3)'], limit=30)
    summary = json.loads((tmp_path / 'summary.json').read_text())
    expected = [('first', 'pass'), ('second', 'fail')]
    assert [(s['step'], s['status']) for s in summary['steps']] == expected
    assert summary['steps'][1]['detail'].startswith('exit 3')
    assert write_summary(str(tmp_path), steps, 'test', True, {}) is False  # finished, one failed


def test_a_step_over_its_limit_is_killed_with_its_children(tmp_path):
    pid_file = tmp_path / 'child.pid'
    # A shell that starts a grandchild and waits: as dist_train.sh does with torchrun's workers.
    script = f'sleep 300 & echo $! > {pid_file}; wait'
    steps = steps_with_summary(tmp_path)
    steps.min_seconds = 1
    start = time.monotonic()
    steps.run('slow', ['bash', '-c', script], limit=2)
    assert time.monotonic() - start < 30
    assert steps.results[-1]['status'] == 'fail'
    assert steps.results[-1]['detail'] == 'timed out after 2 s'
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(grandchild)


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie left for init to reap."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


def test_no_time_left_skips_the_step(tmp_path):
    steps = steps_with_summary(tmp_path, budget=5)
    steps.run('late', [sys.executable, '-c', 'pass'], limit=60)
    assert steps.results[-1]['status'] == 'skipped'


@pytest.mark.slow
def test_sigterm_stops_the_running_step_and_leaves_the_summary(tmp_path):
    runner = tmp_path / 'runner.py'
    runner.write_text(
        textwrap.dedent(f"""
        import signal, sys
        from grass_mm.acceptance import Steps, Terminated, write_summary
        out = {str(tmp_path)!r}
        steps = Steps(out, 300, out)
        steps.on_step = lambda: write_summary(out, steps, 'test', True, {{}}, finished=False)
        def stop(signum, frame):
            raise Terminated('SIGTERM')
        signal.signal(signal.SIGTERM, stop)
        steps.run('quick', [sys.executable, '-c', 'pass'], limit=60)
        print('running', flush=True)
        try:
            steps.run('long', ['sleep', '300'], limit=300)
        except Terminated:
            sys.exit(124)
        """))
    proc = subprocess.Popen([sys.executable, str(runner)],
                            stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE,
                            text=True,
                            env=tool_env())
    lines = []
    while not lines or lines[-1] not in ('running', ''):  # after the quick step's line, or EOF
        lines.append(proc.stdout.readline().strip())
    assert lines[-1] == 'running', proc.stderr.read()[-2000:] if not lines[-1] else lines
    threading.Timer(1.0, proc.send_signal, [signal.SIGTERM]).start()
    assert proc.wait(timeout=60) == 124
    summary = json.loads((tmp_path / 'summary.json').read_text())
    expected = [('quick', 'pass'), ('long', 'fail')]
    assert [(s['step'], s['status']) for s in summary['steps']] == expected
    assert summary['steps'][1]['detail'] == 'stopped by SIGTERM (the outer time limit)'
