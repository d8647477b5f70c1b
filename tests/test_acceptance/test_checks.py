"""The acceptance checks read what a step wrote (a JUnit report, JSON lines, ``scalars.json``)
and fail, saying what is missing, when it is not there. The fine-tuning check runs on a real
mmseg run in ``tests/test_engine/test_hooks/test_pretrained_check_hook.py``, the stage check on
a real GraSS run in ``test_grass_stage_hook.py``, the benchmark check on a real benchmark run in
``tests/test_tools/test_tools.py``."""
import subprocess
import sys

import pytest

from grass_mm.acceptance import bench_check, pytest_check


def test_pytest_check_reads_the_junit_report(tmp_path):
    for fail, ok in (('False', False), ('True', True)):
        (tmp_path / 'test_x.py').write_text(f'def test_a():\n    pass\n\n'
                                            f'def test_b():\n    assert {fail}\n')
        report = tmp_path / f'{fail}.xml'
        subprocess.run([
            sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--junitxml={report}',
            str(tmp_path / 'test_x.py')
        ],
                       cwd=tmp_path,
                       capture_output=True)
        if ok:
            assert pytest_check(str(report))['detail'] == '2 passed, 0 skipped'
        else:
            with pytest.raises(AssertionError, match="'failures': 1"):
                pytest_check(str(report))
    with pytest.raises(AssertionError, match='no JUnit report'):
        pytest_check(str(tmp_path / 'missing.xml'))


def test_bench_check_needs_a_row(tmp_path):
    """(The rows of a real benchmark run: ``test_tools.py``'s benchmark_speed test.)"""
    rows = tmp_path / 'rows.jsonl'
    rows.write_text('')
    with pytest.raises(AssertionError, match='no benchmark row'):
        bench_check(str(rows))
    with pytest.raises(AssertionError, match='no benchmark rows'):
        bench_check(str(tmp_path / 'missing.jsonl'))
