"""ConsoleProgressHook and quiet(): a real GraSS run shows a screen of progress, its logs a file."""
import io
import warnings

import pytest
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from grass_mm.engine.hooks import ConsoleProgressHook
from grass_mm.utils import quiet
from tests.helpers import tiny_grass_cfg

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)


def test_a_grass_run_prints_at_most_ten_lines_and_the_stage_switch(synthetic_root, tmp_path):
    console = io.StringIO()  # not a terminal: one line per tenth of the run
    with quiet(str(tmp_path / 'console.log')):
        runner = Runner.from_cfg(
            tiny_grass_cfg(synthetic_root, str(tmp_path), max_epochs=3, warmup_epochs=1))
        runner.register_hook(ConsoleProgressHook('pretraining', console))
        runner.train()
    lines = console.getvalue().splitlines()
    progress = [line for line in lines if line.lstrip().startswith('pretraining')]
    assert 1 <= len(progress) <= 10
    assert f'{runner.max_iters}/{runner.max_iters}' in progress[-1] and ' in ' in progress[-1]
    assert 'warm-up  loss' in progress[0] and 'gs  loss' in progress[-1]
    assert [line.strip() for line in lines if 'GraSS stage' in line
            ] == [f'GraSS stage: warmup -> gs (epoch 1, iter {runner.max_iters // 3})']
    log = (tmp_path / 'console.log').read_text()
    assert 'Epoch(train)' in log  # mmengine's own log went to the file, not the console
    assert 'Epoch(train)' not in console.getvalue()


def test_quiet_sends_prints_and_warnings_to_the_file_unless_verbose(tmp_path, capsys):
    log = tmp_path / 'console.log'
    with quiet(str(log)):
        print('library chatter')
        warnings.warn('a deprecation the user cannot act on')
    assert capsys.readouterr().out == '' and 'library chatter' in log.read_text()
    with quiet(str(log), verbose=True):
        print('shown')
    assert capsys.readouterr().out == 'shown\n'


def test_a_logger_built_in_one_quiet_block_still_logs_in_the_next(tmp_path):
    """The demo builds its Runners in one block and trains them in another: mmengine's handler
    keeps the stdout it was built with, which must still be the open log file."""
    log = tmp_path / 'console.log'
    with quiet(str(log)):
        logger = MMLogger.get_instance('quiet_two_blocks', log_level='INFO')
    with quiet(str(log)):
        logger.info('logged in the second block')
    text = log.read_text()
    assert 'logged in the second block' in text and 'Logging error' not in text
