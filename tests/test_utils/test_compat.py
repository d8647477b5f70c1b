"""The stack fixes, each checked in a fresh interpreter where import order matters."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from grass_mm.utils import TRUST_ENV, load_local_checkpoint
from grass_mm.utils.compat import FULL_UNPICKLED
from tests.helpers import tool_env


def run_python(code: str, tmp_path, name='script.py') -> subprocess.CompletedProcess:
    script = tmp_path / name
    script.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, str(script)],
                          capture_output=True,
                          text=True,
                          timeout=300,
                          cwd=tmp_path)


@pytest.mark.slow
def test_torchvision_imports_after_grass_mm(tmp_path):
    result = run_python(
        """
        import grass_mm
        import torchvision
        from torchvision.transforms import functional
        import torch
        print('ok', functional.hflip(torch.arange(4.).view(1, 2, 2)).tolist())
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'ok [[[1.0, 0.0], [3.0, 2.0]]]' in result.stdout


@pytest.mark.slow
def test_torchvision_works_in_spawned_dataloader_workers(tmp_path):
    # A spawned worker re-imports the main module, which imports grass_mm first (as
    # tools/train.py does), then unpickles an mmpretrain dataset that imports torchvision.
    result = run_python(
        """
        import grass_mm
        import torch
        from torch.utils.data import DataLoader
        from mmengine.dataset import pseudo_collate
        from mmpretrain.datasets import CustomDataset

        if __name__ == '__main__':
            import cv2, numpy as np, os
            os.makedirs('imgs', exist_ok=True)
            for i in range(2):
                cv2.imwrite(f'imgs/{i}.png', np.full((8, 8, 3), i, np.uint8))
            dataset = CustomDataset(data_root='imgs', with_label=False,
                                    pipeline=[dict(type='LoadImageFromFile'),
                                              dict(type='RandomFlip', prob=1.0)])
            loader = DataLoader(dataset, batch_size=1, num_workers=1,
                                multiprocessing_context='spawn', collate_fn=pseudo_collate)
            print('spawned', len([b for b in loader]))
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'spawned 2' in result.stdout


def test_tensor_only_file_loads_silently(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}}, path)
    assert torch.equal(load_local_checkpoint(str(path))['state_dict']['w'], torch.ones(2))


def test_every_kind_of_the_stacks_checkpoints_loads_as_data(tmp_path, grass_checkpoint):
    """Training (and so resume) checkpoints, mmseg-style fine-tunes and model-zoo files load with
    weights_only=True through the allow-list, silently, under numpy 1 or 2 names."""
    from collections import OrderedDict

    from mmengine.logging import HistoryBuffer, MessageHub
    loaded = _load_checkpoint(grass_checkpoint, map_location='cpu')  # mmengine's own entry point
    assert {'state_dict', 'optimizer', 'message_hub', 'meta'} <= set(loaded)
    hub = MessageHub.get_instance('test_compat')
    hub.update_scalar('train/loss', np.float64(0.5))
    finetune = tmp_path / 'iter_80000.pth'
    torch.save(
        dict(
            state_dict={'w': torch.ones(2)},
            meta=dict(dataset_meta=dict(classes=('a', 'b'), palette=[[1, 2, 3], [4, 5, 6]])),
            message_hub=hub.state_dict()), finetune)
    assert isinstance(
        load_local_checkpoint(str(finetune))['message_hub']['log_scalars']['train/loss'],
        HistoryBuffer)
    zoo = tmp_path / 'zoo.pth'  # an mmseg 0.x / mmpretrain model-zoo file
    torch.save(
        dict(
            meta=dict(CLASSES=('a', 'b'), PALETTE=[[1, 2, 3]], env_info='...', epoch=80),
            state_dict=OrderedDict(w=torch.ones(2))), zoo)
    assert load_local_checkpoint(str(zoo))['meta']['CLASSES'] == ('a', 'b')
    assert not {grass_checkpoint, str(finetune), str(zoo)} & FULL_UNPICKLED


class _Payload:
    """What a hostile checkpoint holds: an object whose unpickling runs code (makes a file)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


def test_a_checkpoint_that_would_run_code_is_refused_unless_trusted_by_name(tmp_path, monkeypatch):
    made = tmp_path / 'made_by_the_checkpoint'
    path = tmp_path / 'stranger.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'x': _Payload(str(made))}, path)
    with pytest.raises(
            RuntimeError,
            match=rf'checkpoint {path} holds .*open.*could run code '
            rf'.*{TRUST_ENV}={path}'):
        CheckpointLoader.load_checkpoint(str(path))
    assert not made.exists()
    monkeypatch.setenv(TRUST_ENV, str(tmp_path / 'another.pth'))  # trust names files
    with pytest.raises(RuntimeError, match='could run code'):
        load_local_checkpoint(str(path))
    assert not made.exists()
    monkeypatch.setenv(TRUST_ENV, f'/elsewhere.pth:{path}')
    assert torch.equal(load_local_checkpoint(str(path))['state_dict']['w'], torch.ones(2))
    assert made.exists() and str(path) in FULL_UNPICKLED  # trusted: its code ran, as asked


def test_missing_and_truncated_files_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': {'w': torch.ones(1000)}}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(RuntimeError, match='cut.pth: it is truncated, corrupt'):
        load_local_checkpoint(str(path))


def test_a_file_that_is_not_a_checkpoint_names_itself(tmp_path):
    notes = tmp_path / 'notes.pth'
    notes.write_text('hello, these are notes\n')  # once: KeyError 101 deep in the unpickler
    with pytest.raises(RuntimeError, match='notes.pth: it is not a torch checkpoint'):
        load_local_checkpoint(str(notes))
    junk = tmp_path / 'junk.pth'
    junk.write_bytes(b'\x80\x04' + bytes(range(256)))  # a pickle header, then garbage
    with pytest.raises(RuntimeError, match='junk.pth: it is truncated, corrupt'):
        load_local_checkpoint(str(junk))


@pytest.mark.slow
def test_the_converter_says_what_the_bad_file_is_in_one_line(tmp_path):
    import subprocess
    import sys
    notes = tmp_path / 'notes.pth'
    notes.write_text('hello\n')
    tool = os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(__file__))), 'tools', 'model_converters',
        'extract_backbone.py')
    result = subprocess.run(
        [sys.executable, tool, str(notes),
         str(tmp_path / 'out.pth')],
        capture_output=True,
        text=True,
        env=tool_env())
    assert result.returncode != 0 and 'Traceback' not in result.stderr
    assert f'could not read checkpoint {notes}: it is not a torch checkpoint' in result.stderr
    assert not (tmp_path / 'out.pth').exists()


def test_declaring_torchvision_ops_is_a_no_op_once_imported():
    import torchvision  # noqa: F401

    from grass_mm.utils import declare_torchvision_ops
    assert declare_torchvision_ops() is False


def _startup_hook_installed() -> bool:
    import sysconfig
    return os.path.isfile(
        os.path.join(sysconfig.get_paths()['purelib'], 'grass_mm_torchvision_fix.pth'))


@pytest.mark.skipif(
    not _startup_hook_installed(),
    reason='no grass_mm_torchvision_fix.pth: this venv was not made by '
    'tools/install_cpu.sh')
@pytest.mark.parametrize('first_line', [
    'import torchvision', 'import torch; import torchvision.ops', 'import mmpretrain.models',
    'import grass_mm; import torchvision'
])
@pytest.mark.slow
def test_torchvision_imports_first_in_a_fresh_interpreter(first_line, tmp_path):
    import subprocess
    import sys
    script = (f'{first_line}\nimport torch, torchvision\n'
              'print(torchvision.ops.box_area(torch.ones(1, 4)))\n')
    # cwd and PYTHONPATH away from the checkout: the hook must find the installed grass_mm
    result = subprocess.run([sys.executable, '-c', script],
                            capture_output=True,
                            text=True,
                            cwd=tmp_path,
                            env={
                                k: v
                                for k, v in os.environ.items() if k != 'PYTHONPATH'
                            })
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'tensor([0.])' in result.stdout


@pytest.mark.skipif(not _startup_hook_installed(), reason='no grass_mm_torchvision_fix.pth')
def test_the_startup_hook_costs_nothing_for_scripts_without_torchvision(tmp_path):
    import subprocess
    import sys
    script = ('import sys\n'
              "print(sorted(m for m in ('torch', 'grass_mm', 'torchvision') if m in sys.modules))")
    result = subprocess.run([sys.executable, '-c', script],
                            capture_output=True,
                            text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]'


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_numpy2_adjust_hue_gives_mmcvs_numpy1_result(backend):
    """Fix 3 against mmcv's own function, which this numpy (1.x in the CPU lock) still runs."""
    import numpy as np
    from mmcv.image.photometric import adjust_hue as mmcv_adjust_hue

    from grass_mm.utils.compat import adjust_hue
    img = np.random.default_rng(0).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    for hue_factor in np.linspace(-0.5, 0.5, 41):
        if int(np.__version__.split('.')[0]) < 2:
            expected = mmcv_adjust_hue(img, hue_factor, backend=backend)
            assert np.array_equal(adjust_hue(img, hue_factor, backend=backend), expected)
        else:  # mmcv's own raises OverflowError for a negative factor; ours must not
            assert adjust_hue(img, hue_factor, backend=backend).shape == img.shape
    with pytest.raises(ValueError, match='hue_factor'):
        adjust_hue(img, 0.6, backend=backend)


def test_numpy2_hue_jitter_reaches_mmpretrains_color_jitter():
    """Under numpy >= 2 mmpretrain's ColorJitter calls the fixed function; under 1.x, mmcv's."""
    import mmcv
    import numpy as np

    from grass_mm.utils import compat
    numpy2 = int(np.__version__.split('.')[0]) >= 2
    assert (mmcv.adjust_hue is compat.adjust_hue) == numpy2
    from mmpretrain.datasets.transforms import ColorJitter
    jitter = ColorJitter(hue=0.5)
    img = np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    for _ in range(20):  # about half of the draws are negative hue factors
        assert jitter(dict(img=img.copy()))['img'].shape == img.shape


def test_a_checkpoint_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """Fix 4: mmengine's save_checkpoint (what CheckpointHook calls) goes through a temporary
    name; a failed or interrupted write leaves the earlier file and no partial one."""
    import builtins
    import errno

    from mmengine.runner.checkpoint import save_checkpoint
    ckpt = tmp_path / 'epoch_1.pth'
    save_checkpoint(dict(state_dict=dict(w=torch.ones(3))), str(ckpt))
    assert torch.load(ckpt, weights_only=True)['state_dict']['w'].sum() == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']

    real_open = builtins.open
    for error in (OSError(errno.ENOSPC, 'No space left on device'), KeyboardInterrupt()):
        monkeypatch.setattr(
            builtins,
            'open',
            lambda f, mode='r', *a, **k: real_open(f, mode, *a, **k)
            if 'partial' not in str(f) else _failing_file(real_open(f, mode), error))
        with pytest.raises(type(error)) as raised:
            save_checkpoint(dict(state_dict=dict(w=torch.zeros(3))), str(ckpt))
        monkeypatch.setattr(builtins, 'open', real_open)
        assert torch.load(ckpt, weights_only=True)['state_dict']['w'].sum() == 3  # untouched
        assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']
        if isinstance(error, OSError):
            assert f'no space left on the disk of {ckpt}: writing it needs' in str(raised.value)
            assert 'MiB are free; nothing was written under its name' in str(raised.value)


def _failing_file(f, error):
    """``f`` whose write raises ``error`` (a full disk, or an interrupt mid-write)."""

    class Proxy:

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            f.close()

        def write(self, data):
            raise error

        def __getattr__(self, name):
            return getattr(f, name)

    return Proxy()
