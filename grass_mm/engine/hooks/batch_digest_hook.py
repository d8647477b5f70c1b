import hashlib
import json
import os.path as osp
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


def batch_digest(data_batch: dict) -> str:
    """SHA-256 of a batch's input tensors (every view, in order), bytes as the loader gave them."""
    digest = hashlib.sha256()
    inputs = data_batch['inputs']
    for view in inputs if isinstance(inputs, (list, tuple)) else [inputs]:
        view = view.detach().cpu().contiguous()
        digest.update(str((tuple(view.shape), view.dtype)).encode())
        digest.update(view.numpy().tobytes())
    return digest.hexdigest()


@HOOKS.register_module()
class BatchDigestHook(Hook):
    """Record a digest of the first ``num_batches`` training batches this run sees.

    Paired pretraining arms that continue one checkpoint (the same data order and augmentation
    draws) must see byte-identical batches; comparing the arms' ``batch_digests.json`` shows it.
    The digests are taken before the data preprocessor, and count from the iteration the run
    started or resumed at. A resumed run adds its batches to the file and keeps the ones an
    earlier run of the work dir recorded, so the first batches of the arm stay on record.

    Args:
        num_batches (int): Batches to digest. Defaults to 2.
        filename (str): File written in the work dir. Defaults to ``'batch_digests.json'``.
    """

    priority = 'VERY_LOW'

    def __init__(self, num_batches: int = 2, filename: str = 'batch_digests.json') -> None:
        self.num_batches = num_batches
        self.filename = filename
        self.digests = []

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[Sequence[dict]] = None) -> None:
        if len(self.digests) >= self.num_batches or data_batch is None:
            return
        self.digests.append(dict(iter=runner.iter, digest=batch_digest(data_batch)))
        if len(self.digests) == self.num_batches and is_main_process():
            path = osp.join(runner.work_dir, self.filename)
            earlier = []
            if osp.isfile(path):
                with open(path) as f:
                    earlier = json.load(f)
            ours = {d['iter'] for d in self.digests}
            merged = [d for d in earlier if d['iter'] not in ours] + self.digests
            with open(path, 'w') as f:
                json.dump(sorted(merged, key=lambda d: d['iter']), f, indent=1)
