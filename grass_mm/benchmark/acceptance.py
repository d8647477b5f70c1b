"""The GPU acceptance run's plumbing: the short-run configs, steps as subprocesses under one
deadline, the checks that read what each step printed, and the summary
(the ``gpu_acceptance.py`` tool holds the arguments and the calls)."""
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional

from grass_mm.utils.compat import write_atomic


def short_potsdam_configs(out_dir: str, potsdam: str, pretrain_config: str, finetune_config: str,
                          smoke: bool) -> Dict[str, str]:
    """Short-run copies of the Potsdam presets reading the Potsdam crop, in OUT_DIR/configs.

    Args:
        out_dir: The acceptance run's folder.
        potsdam: The Potsdam crop (``img_dir``, ``ann_dir``).
        pretrain_config: The GraSS Potsdam preset.
        finetune_config: Its mmseg fine-tuning config, of the pretrained depth.
        smoke: Tiny batches and views for the CPU smoke run.

    Returns:
        The paths of the ``pretrain``, ``dist`` (smaller batches for ``dist_train.sh``) and
        ``finetune`` configs.
    """
    from mmengine.config import Config

    from grass_mm.utils import update_transforms
    from grass_mm.utils.config import find_hook
    folder = osp.join(out_dir, 'configs')
    os.makedirs(folder, exist_ok=True)
    batch, iters = (4, 3) if smoke else (256, 12)  # per epoch; two epochs, GS in the second
    pretrain = Config.fromfile(pretrain_config)
    source = pretrain.train_dataloader.dataset
    source.data_root = osp.join(potsdam, 'img_dir')
    pretrain.train_dataloader.update(
        batch_size=batch, num_workers=2 if smoke else 8, persistent_workers=False)
    # One 512 px tile, repeated: every view a fresh random crop of it, as in the preset.
    pretrain.train_dataloader.dataset = dict(
        type='RepeatDataset', times=batch * iters, dataset=source.to_dict())
    if smoke:
        update_transforms(
            pretrain.train_dataloader.dataset.dataset.pipeline, 'RandomResizedCrop', scale=64)
    for hook in pretrain.custom_hooks:
        if hook.type == 'DenseProbeHook':  # the Potsdam crop for both splits: a CUDA smoke test
            for split in (hook.train_split, hook.test_split):
                split.update(
                    data_root=potsdam, data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'))
            hook.update(interval=1, max_images=None)
    pretrain.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
    find_hook(pretrain).warmup_epochs = 1
    find_hook(pretrain, 'GraSSVisualizationHook').interval = iters
    pretrain.default_hooks.logger.interval = 1
    pretrain.default_hooks.checkpoint.interval = 2
    paths = dict(pretrain=osp.join(folder, 'pretrain.py'))
    pretrain.dump(paths['pretrain'])
    dist = Config.fromfile(paths['pretrain'])
    dist.train_dataloader.batch_size = 4 if smoke else 64
    dist.train_dataloader.dataset.times = dist.train_dataloader.batch_size * (3 if smoke else 6)
    paths['dist'] = osp.join(folder, 'dist.py')
    dist.dump(paths['dist'])

    finetune = Config.fromfile(finetune_config)
    for split in ('train', 'val', 'test'):
        loader = finetune[f'{split}_dataloader']
        loader.dataset.data_root = potsdam
        loader.dataset.data_prefix = dict(img_path='img_dir', seg_map_path='ann_dir')
        loader.num_workers = 2
        loader.persistent_workers = False
    finetune.train_dataloader.batch_size = 2 if smoke else 4
    n = 2 if smoke else 20
    finetune.train_cfg = dict(type='IterBasedTrainLoop', max_iters=n, val_interval=n)
    finetune.default_hooks.checkpoint.interval = n
    finetune.default_hooks.logger.interval = 1
    paths['finetune'] = osp.join(folder, 'finetune.py')
    finetune.dump(paths['finetune'])
    return paths


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
            check: Optional[Callable[[str], Dict]] = None,
            env: Optional[dict] = None) -> str:
        """Run ``cmd``; the step fails on a non-zero exit, a timeout or a failed ``check``.

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
                    result.update(check(output))
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


def pytest_check(output: str) -> dict:
    summary = output.strip().splitlines()[-1] if output.strip() else ''
    assert re.search(r'\d+ passed', summary) and 'failed' not in summary, summary
    return dict(detail=summary.strip('= '))


def bench_check(output: str) -> dict:
    rows = [line for line in output.splitlines() if line.startswith('| ResNet-')]
    assert rows, 'no table rows'
    return dict(
        detail=f'{len(rows)} rows',
        table=[line for line in output.splitlines() if line.startswith(('|', '#'))])


def stage_check(output: str) -> dict:
    switch = re.search(r'GraSS stage: warmup -> gs \([^)]*\)', output)
    assert switch, 'no stage switch in the log'
    gs_rows = re.findall(r'stage: 1\.0000', output)
    assert gs_rows, 'no logged GS iteration'
    assert not re.search(r'loss: (nan|inf)', output), 'non-finite loss'
    return dict(detail=f'{switch.group(0)}; {len(gs_rows)} GS iterations logged')


def finetune_check(output: str) -> dict:
    loaded = re.search(r'PretrainedCheckHook: all \d+ tensors of backbone equal[^\n]*', output)
    assert loaded, 'the exported backbone did not load'
    miou = re.search(r'mIoU: (\d+\.\d+)', output)
    return dict(detail=f'{loaded.group(0)}; mIoU {miou.group(1) if miou else "n/a"}')


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
