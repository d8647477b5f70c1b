"""The GPU acceptance run's steps: subprocesses under one deadline, each process group killed
whole at its limit, and the summary, rewritten after every step and on SIGTERM."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional

from grass_mm.utils.compat import write_atomic


class Terminated(Exception):
    """SIGTERM reached the acceptance run (its outer time limit): the summary is written first."""


class Steps:
    """Runs steps as subprocesses under one deadline and records what each showed.

    A step left with less than ``min_seconds`` of the budget is skipped (too short to show
    anything).

    Args:
        out_dir: The run's folder; logs go to ``out_dir/logs``.
        budget: Seconds for all steps; a step gets at most what is left.
        cwd: The folder the commands run in (first on their ``PYTHONPATH``).
        on_step: Called after every step (the summary is rewritten, so that a run stopped from
            outside still leaves one).
    """

    def __init__(self,
                 out_dir: str,
                 budget: float,
                 cwd: str,
                 on_step: Optional[Callable[[], None]] = None) -> None:
        self.cwd = cwd
        self.out_dir = out_dir
        self.logs = osp.join(out_dir, 'logs')
        os.makedirs(self.logs, exist_ok=True)
        self.deadline = time.monotonic() + budget
        self.results: List[dict] = []
        self.on_step = on_step or (lambda: None)
        self.min_seconds = 10.0

    def record(self, result: dict) -> None:
        """Add a step that ran outside (the offline install), then rewrite the summary."""
        self.results.append(result)
        self.on_step()

    def run(self,
            name: str,
            cmd: List[str],
            limit: float,
            check: Optional[Callable[[], Dict]] = None,
            env: Optional[dict] = None) -> str:
        """Run ``cmd``; the step fails on a non-zero exit, a timeout or a failed ``check``
        (:mod:`.checks`: it reads what the step wrote, and returns the summary's fields).

        The command runs in its own process group, killed whole at the limit (torchrun's
        workers too).
        """
        limit = min(limit, self.deadline - time.monotonic())
        log_path = osp.join(self.logs, f'{name}.log')
        result = dict(
            step=name,
            command=' '.join(cmd),
            log=osp.relpath(log_path, self.out_dir),
            limit=round(limit))
        if limit < self.min_seconds:
            result.update(status='skipped', seconds=0.0, detail='no time left in the budget')
            self.record(result)
            return ''
        start = time.monotonic()
        # The folder the commands run in first on PYTHONPATH, this interpreter's bin/ (torchrun)
        # first on PATH, and unbuffered output so that a step killed at its limit still leaves
        # its log.
        run_env = dict(
            os.environ,
            PYTHONPATH=self.cwd + os.pathsep + os.environ.get('PYTHONPATH', ''),
            PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''),
            PYTHONUNBUFFERED='1')
        run_env.update(env or {})
        with open(log_path, 'w') as log:
            proc = subprocess.Popen(
                cmd,
                cwd=self.cwd,
                env=run_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True)
            try:
                code = proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                code = 'timeout'
            except Terminated:
                code = 'terminated'
            finally:
                if proc.poll() is None or code in ('timeout', 'terminated'):
                    _kill_group(proc)
        with open(log_path) as log:
            output = log.read()
        result['seconds'] = round(time.monotonic() - start, 1)
        if code == 'timeout':
            result.update(status='fail', detail=f'timed out after {limit:.0f} s')
        elif code == 'terminated':
            result.update(status='fail', detail='stopped by SIGTERM (the outer time limit)')
        elif code != 0:
            tail = output.strip().splitlines()[-1:] or ['']
            result.update(status='fail', detail=f'exit {code}: {tail[0][:300]}')
        else:
            result['status'] = 'pass'
            if check is not None:
                try:
                    result.update(check())
                except AssertionError as err:
                    result.update(status='fail', detail=f'check: {err}')
        self.record(result)
        print(
            f"[{result['status']}] {name} ({result['seconds']} s)"
            f"{': ' + result['detail'] if result.get('detail') else ''}",
            flush=True)
        if code == 'terminated':
            raise Terminated(name)
        return output


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the step's whole process group (a timed-out torchrun leaves workers otherwise)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def write_summary(out_dir: str,
                  steps: Steps,
                  device: str,
                  smoke: bool,
                  targets: dict,
                  finished: bool = True) -> bool:
    """Write ``summary.json`` and ``summary.md`` of the steps so far.

    Args:
        out_dir: The run's folder.
        steps: The steps, run or recorded.
        device: The device line of the summary.
        smoke: Whether this is the CPU smoke run.
        targets: The speed and memory targets the benchmark rows are read against.
        finished: False while steps are still to come (the title says the run is incomplete).

    Returns:
        Whether the run passed: finished and every step passed.
    """
    ok = finished and all(r['status'] == 'pass' for r in steps.results)
    summary = dict(
        device=device,
        cpu_smoke=smoke,
        finished=finished,
        passed=ok,
        seconds=round(sum(r.get('seconds', 0) for r in steps.results), 1),
        targets=targets,
        steps=steps.results)
    state = 'PASSED' if ok else 'FAILED' if finished else 'INCOMPLETE (stopped, or still running)'
    lines = [
        f'# GPU acceptance: {state}', '', f'{device}; {summary["seconds"]} s of steps; '
        f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}', '',
        '| step | status | seconds | limit | detail |', '|---|---|---|---|---|'
    ]
    for r in steps.results:
        lines.append(f"| {r['step']} | {r['status']} | {r.get('seconds', '')} | "
                     f"{r.get('limit', '')} | {r.get('detail', '')} |")
    for r in steps.results:
        if r.get('table'):
            lines += ['', f"## {r['step']}", ''] + r['table']
    lines += [
        '', 'Targets: efficient GraSS <= 1.35x a SimCLR step at ResNet-50/224 px with AMP; '
        'selection + cropping <= 2 % of the step; peak memory <= 1.10x. Logs: logs/.'
    ]
    # Written atomically: a run killed mid-write leaves the last summary whole.
    write_atomic(json.dumps(summary, indent=2).encode(), osp.join(out_dir, 'summary.json'))
    write_atomic(('\n'.join(lines) + '\n').encode(), osp.join(out_dir, 'summary.md'))
    return ok
