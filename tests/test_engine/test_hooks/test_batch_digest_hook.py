"""BatchDigestHook: a resumed run keeps the first batches an earlier run recorded."""
import json

import pytest
from mmengine.runner import Runner

from tests.helpers import tiny_grass_cfg

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)


def test_a_resumed_run_adds_its_batches_and_keeps_the_first(synthetic_root, tmp_path):
    for epochs, resume in ((1, False), (2, True)):
        cfg = tiny_grass_cfg(synthetic_root, str(tmp_path), max_epochs=epochs, warmup_epochs=1)
        cfg.custom_hooks.append(dict(type='BatchDigestHook', num_batches=2))
        cfg.resume = resume
        Runner.from_cfg(cfg).train()
        first = json.loads((tmp_path / 'batch_digests.json').read_text())
        if not resume:
            kept = first
    assert [d['iter'] for d in first] == [0, 1, 2, 3]  # 2 iterations per epoch
    assert first[:2] == kept
