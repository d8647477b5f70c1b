"""The work-dir guard: one live run per work dir, no checkpoint overwritten, resumes that find
their file."""
import json
import os
import socket
import subprocess
import sys

import pytest
import torch

from grass_mm.utils.run_id import RUN_FILE, checkpoint_run
from grass_mm.utils.workdir import LOCK_NAME, claim_work_dir, resume_checkpoint
from tests.helpers import REPO, tool_env


def save(path, note, run_id=None):
    """A real (tiny) checkpoint file: what a resume reads before the Runner does."""
    meta = dict(note=note) if run_id is None else dict(note=note, run_id=run_id)
    torch.save(dict(meta=meta, state_dict={}), path)


def note_of(path):
    return torch.load(path, weights_only=True)['meta']['note']


def lock(work, pid, host=None):
    work.mkdir(exist_ok=True)
    (work / LOCK_NAME).write_text(
        json.dumps(dict(pid=pid, host=host or socket.gethostname(), started='then')))


def test_a_live_run_is_refused_and_a_stale_lock_is_taken_over(tmp_path):
    work = tmp_path / 'w'
    with subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']) as other:
        lock(work, other.pid)
        with pytest.raises(RuntimeError, match=rf'in use by a run of pid {other.pid} on '):
            claim_work_dir(str(work), False, None)
        other.kill()
    other.wait()
    with pytest.warns(UserWarning, match='a stale lock: no such process'):
        claim_work_dir(str(work), False, None)
    assert json.loads((work / LOCK_NAME).read_text())['pid'] == os.getpid()
    lock(work, 1, host='elsewhere')
    with pytest.raises(RuntimeError, match='on host elsewhere.*--takeover-lock, or delete'):
        claim_work_dir(str(work), False, None)
    with pytest.warns(UserWarning, match='taking over the lock of pid 1 on elsewhere'):
        claim_work_dir(str(work), False, None, takeover=True)


def test_checkpoints_need_resume_or_a_new_run_and_are_never_touched(tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    (work / 'epoch_2.pth').write_bytes(b'earlier run')
    with pytest.raises(FileExistsError, match=r'epoch_2\.pth.*--resume.*--new-run'):
        claim_work_dir(str(work), False, None)
    fresh = claim_work_dir(str(work), False, None, new_run=True)
    assert os.path.dirname(fresh['work_dir']) == str(work)
    assert os.path.basename(fresh['work_dir']).startswith('run_')
    assert (work / 'epoch_2.pth').read_bytes() == b'earlier run'
    # A work dir with logs only (no checkpoint) is a fresh run's, as mmengine has it.
    other = tmp_path / 'logs_only'
    other.mkdir()
    (other / 'scalars.json').write_text('{}')
    assert claim_work_dir(str(other), False, None)['work_dir'] == str(other)


def test_resume_finds_its_checkpoint_after_a_move_or_an_empty_marker(tmp_path):
    work = tmp_path / 'moved'
    work.mkdir()
    for name in ('epoch_2.pth', 'epoch_10.pth', 'epoch_9.pth'):
        save(work / name, name)
    (work / 'last_checkpoint').write_text('/old/place/of/the/work_dir/epoch_9.pth')
    assert resume_checkpoint(str(work)) == str(work / 'epoch_9.pth')  # the same file, here
    (work / 'last_checkpoint').write_text('')
    with pytest.warns(UserWarning, match='resuming from the newest'):
        assert resume_checkpoint(str(work)) == str(work / 'epoch_10.pth')  # numeric order
    assert claim_work_dir(str(work), True, None)['load_from'] == str(work / 'epoch_10.pth')
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'last_checkpoint').write_text('')
    with pytest.raises(FileNotFoundError, match="last_checkpoint names ''"):
        resume_checkpoint(str(empty))
    # No checkpoint and no marker: --resume starts afresh (a requeued job keeps working).
    assert claim_work_dir(str(tmp_path / 'new'), True, None)['load_from'] is None


def test_train_py_refuses_a_finished_work_dir_before_building_anything(tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    (work / 'epoch_2.pth').write_bytes(b'earlier run')
    result = subprocess.run([
        sys.executable, 'tools/train.py', 'configs/grass/grass_resnet18_1xb16-coslr-30e_'
        'synthetic-128px.py', '--work-dir',
        str(work)
    ],
                            cwd=REPO,
                            env=tool_env(),
                            capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert 'holds checkpoints of an earlier run (epoch_2.pth)' in result.stderr
    assert (work / 'epoch_2.pth').read_bytes() == b'earlier run'


def test_a_marker_naming_another_folder_is_never_followed_silently(tmp_path):
    # A moved work dir (A -> B) whose old place holds a new run: B's marker names A's file.
    old, moved = tmp_path / 'A', tmp_path / 'B'
    old.mkdir()
    moved.mkdir()
    (old / 'epoch_1.pth').write_bytes(b'the new run in A')
    (moved / 'last_checkpoint').write_text(str(old / 'epoch_1.pth'))
    with pytest.raises(
            FileNotFoundError,
            match=r'names .*A/epoch_1\.pth, outside .*B .*another '
            r'run.*--resume .*A/epoch_1\.pth'):
        resume_checkpoint(str(moved))
    (moved / 'epoch_1.pth').write_bytes(b'the moved run')
    with pytest.warns(
            UserWarning, match='outside this work dir; resuming from the file of that '
            'name here'):
        assert resume_checkpoint(str(moved)) == str(moved / 'epoch_1.pth')


def test_a_resume_from_an_earlier_checkpoint_continues_in_a_new_folder(tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    for n in (1, 2, 3):
        save(work / f'epoch_{n}.pth', f'epoch {n}')
    claimed = claim_work_dir(str(work), True, str(work / 'epoch_1.pth'))
    assert os.path.dirname(claimed['work_dir']) == str(work)
    assert os.path.basename(claimed['work_dir']).startswith('run_')
    assert claimed['load_from'] == str(work / 'epoch_1.pth')
    assert 'later checkpoints beside it (epoch_2.pth, epoch_3.pth)' in claimed['note']
    # The newest, or a checkpoint from elsewhere, continues here.
    other = tmp_path / 'other'
    assert claim_work_dir(str(other), True, str(work / 'epoch_3.pth'))['work_dir'] == str(other)
    assert [note_of(work / f'epoch_{n}.pth')
            for n in (1, 2, 3)] == ['epoch 1', 'epoch 2', 'epoch 3']


def test_a_resume_never_splices_another_runs_checkpoint(tmp_path):
    """Move A to B, start a new run in A, resume in B from A's new checkpoint: refused, both
    runs named; B's own checkpoints resume; a checkpoint continued in a new folder starts a new
    run there that says where it came from."""
    a, b = tmp_path / 'A', tmp_path / 'B'
    old = claim_work_dir(str(a), False, None)['run_id']
    save(a / 'epoch_1.pth', 'old run', old)
    os.rename(a, b)
    new = claim_work_dir(str(a), False, None)['run_id']
    assert new != old and json.loads((a / RUN_FILE).read_text())['run_id'] == new
    save(a / 'epoch_1.pth', 'new run in A', new)
    with pytest.raises(
            RuntimeError,
            match=rf'A/epoch_1\.pth belongs to run {new}, but .*B is '
            rf'run {old} .*splice two runs'):
        claim_work_dir(str(b), True, str(a / 'epoch_1.pth'))
    assert claim_work_dir(str(b), True, None)['run_id'] == old  # its own checkpoint
    fork = claim_work_dir(str(tmp_path / 'C'), True, str(b / 'epoch_1.pth'))
    record = json.loads((tmp_path / 'C' / RUN_FILE).read_text())
    assert fork['run_id'] == record['run_id'] not in (old, new)
    assert record['resumed_from'] == str(b / 'epoch_1.pth')
    # A checkpoint without a run id (another tool's, or older) resumes and adopts this run.
    save(tmp_path / 'plain.pth', 'no id')
    assert checkpoint_run(str(tmp_path / 'plain.pth')) is None
    assert claim_work_dir(str(b), True, str(tmp_path / 'plain.pth'))['run_id'] == old
    (b / RUN_FILE).write_text('[1]')
    with pytest.raises(RuntimeError, match=f'{RUN_FILE} is not a run file that grass_mm wrote'):
        claim_work_dir(str(b), True, None)


def test_resume_refusals_and_notes(tmp_path):
    with pytest.raises(ValueError, match='--new-run starts a fresh run and --resume continues'):
        claim_work_dir(str(tmp_path / 'a'), True, None, new_run=True)
    with pytest.raises(FileNotFoundError, match=r'--resume .*missing\.pth: no such checkpoint'):
        claim_work_dir(str(tmp_path / 'b'), True, str(tmp_path / 'missing.pth'))
    assert not (tmp_path / 'a').exists() and not (tmp_path / 'b').exists()
    note = claim_work_dir(str(tmp_path / 'typo'), True, None)['note']
    assert note == (f'--resume: {tmp_path}/typo holds no checkpoint to resume; starting a fresh '
                    'run there')


def test_a_requeued_job_takes_its_own_lock_from_another_host(tmp_path, monkeypatch):
    work = tmp_path / 'w'
    work.mkdir()
    (work / LOCK_NAME).write_text(json.dumps(dict(pid=1, host='node7', started='t', job='42')))
    monkeypatch.setenv('SLURM_JOB_ID', '42')
    with pytest.warns(UserWarning, match='a requeued job'):
        claim_work_dir(str(work), False, None)
    assert json.loads((work / LOCK_NAME).read_text())['job'] == '42'


@pytest.mark.parametrize('content', ['garbage', '[1, 2]', '{"pid": "x"}'])
def test_a_lock_file_we_did_not_write_is_named(tmp_path, content):
    work = tmp_path / 'w'
    work.mkdir()
    (work / LOCK_NAME).write_text(content)
    with pytest.raises(
            RuntimeError,
            match=r'\.grass_mm\.lock is not a lock that grass_mm wrote '
            r'\(it holds .*\): if no run uses this work dir, delete it'):
        claim_work_dir(str(work), False, None)


def test_a_read_only_work_dir_is_one_line(tmp_path):
    work = tmp_path / 'ro'
    work.mkdir()
    work.chmod(0o555)
    try:
        if os.access(work, os.W_OK):
            pytest.skip('root writes into a read-only folder')
        with pytest.raises(RuntimeError, match='the work dir cannot be written'):
            claim_work_dir(str(work), False, None)
    finally:
        work.chmod(0o755)


RACER = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location('workdir', sys.argv[2])  # stdlib only: no stack
workdir = importlib.util.module_from_spec(spec)
spec.loader.exec_module(workdir)
print('ready', flush=True)
sys.stdin.readline()  # start together
try:
    workdir.lock_work_dir(sys.argv[1])
    print('owner', flush=True)
    time.sleep(1)
except RuntimeError:
    print('refused', flush=True)
"""


def test_the_lock_has_one_owner_when_processes_race_for_it(tmp_path):
    module = os.path.join(REPO, 'grass_mm', 'utils', 'workdir.py')
    for trial in range(10):
        work = str(tmp_path / f'w{trial}')
        racers = [
            subprocess.Popen([sys.executable, '-c', RACER, work, module],
                             stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE,
                             text=True) for _ in range(4)
        ]
        assert [r.stdout.readline().strip() for r in racers] == ['ready'] * 4
        for racer in racers:
            racer.stdin.write('go\n')
            racer.stdin.flush()
        outcomes = sorted(r.communicate(timeout=60)[0].strip() for r in racers)
        assert outcomes == ['owner', 'refused', 'refused', 'refused'], (trial, outcomes)
