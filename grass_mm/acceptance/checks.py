"""What each acceptance step must have produced, read from its structured outputs (a JUnit
report, JSON lines, mmengine's ``scalars.json``), never from the sentences it printed.

Each check returns the summary's fields (``detail``, optionally ``table``) and raises
``AssertionError`` saying what is missing.
"""
import json
import math
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List

from grass_mm.utils.scalars import scalar_curve


def pytest_check(junit_xml: str) -> Dict:
    """The tests passed: the JUnit report (``pytest --junitxml``) counts no failure or error."""
    assert osp.isfile(junit_xml), f'no JUnit report {junit_xml}'
    root = ET.parse(junit_xml).getroot()
    suite = root if root.tag == 'testsuite' else root.find('testsuite')
    counts = {k: int(suite.get(k, 0)) for k in ('tests', 'failures', 'errors', 'skipped')}
    passed = counts['tests'] - counts['failures'] - counts['errors'] - counts['skipped']
    assert passed > 0 and not counts['failures'] and not counts['errors'], counts
    return dict(detail=f"{passed} passed, {counts['skipped']} skipped")


def bench_check(rows_jsonl: str) -> Dict:
    """The speed benchmark measured a row (``benchmark_speed.py --out``); the summary's table is
    made from its rows."""
    assert osp.isfile(rows_jsonl), f'no benchmark rows {rows_jsonl}'
    with open(rows_jsonl) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    assert rows, 'no benchmark row'
    table = [
        '| backbone | views | SimCLR step (s) | eff / SimCLR | select share | mem eff / SimCLR |',
        '|---|---|---|---|---|---|'
    ] + [
        f"| ResNet-{r['depth']} | {r['size']} px | {r['simclr']:.3f} | {r['eff']:.2f}x | "
        f"{r['share']:.1%} | {r['mem_eff']:.2f}x |" for r in rows if 'simclr' in r
    ]
    return dict(detail=f'{len(rows)} rows', table=table)


def stage_check(work_dir: str) -> Dict:
    """The run switched from warm-up to GS and its losses stayed finite (its logged ``stage``
    and ``loss`` scalars)."""
    stages = scalar_curve(work_dir, 'stage')
    assert stages, f'no logged stage in {work_dir}'
    gs = [step for step, value in stages if value == 1.0]
    assert gs and any(value == 0.0 for _, value in stages), \
        f'no switch: stages logged {sorted({v for _, v in stages})}'
    bad = [step for step, value in scalar_curve(work_dir, 'loss') if not math.isfinite(value)]
    assert not bad, f'non-finite loss at iterations {bad[:5]}'
    return dict(detail=f'warm-up -> GS at iteration {gs[0]}; {len(gs)} GS iterations logged')


def finetune_check(work_dir: str) -> Dict:
    """The fine-tuning loaded every tensor of the exported backbone (``PretrainedCheckHook``'s
    ``pretrained/tensors_equal``) and validated (``mIoU``)."""
    loaded = scalar_curve(work_dir, 'pretrained/tensors_equal')
    assert loaded and loaded[-1][1] > 0, 'the exported backbone did not load'
    miou: List = scalar_curve(work_dir, 'mIoU')
    assert miou, f'no validation mIoU in {work_dir}'
    return dict(detail=f'all {int(loaded[-1][1])} backbone tensors equal the export; '
                f'mIoU {miou[-1][1]:.2f}')
