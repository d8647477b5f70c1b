import inspect
from typing import Dict

import numpy as np
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """mmseg's :class:`IoUMetric` that also returns every class's IoU and the trivial floor.

    ``IoU.<class>``: mmseg prints the per-class table to the log only; returning the values puts
    them in the message hub and ``vis_data/scalars.json``, where the benchmark collector reads
    them. ``floor.aAcc`` / ``floor.mIoU``: what predicting the split's own majority class at
    every pixel scores (e.g. 'land' everywhere on a mostly-bare tile), so a result can be read
    against the floor it has to beat.
    """

    def __init__(self, **kwargs) -> None:
        # IoUMetric swallows unknown keyword arguments; a misspelt key should not vanish.
        known = [
            k for k in inspect.signature(IoUMetric.__init__).parameters
            if k not in ('self', 'kwargs')
        ]
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise TypeError(f'PerClassIoUMetric: unknown argument(s) {unknown}; expected '
                            f'some of {known}')
        super().__init__(**kwargs)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        intersect = sum(r[0] for r in results).numpy().astype(np.float64)
        union = sum(r[1] for r in results).numpy().astype(np.float64)
        with np.errstate(invalid='ignore', divide='ignore'):
            iou = intersect / union  # NaN where a class is in neither prediction nor label
        for name, value in zip(self.dataset_meta['classes'], iou):
            metrics[f'IoU.{name}'] = float(np.round(value * 100, 2))
        label = sum(r[3] for r in results).numpy().astype(np.float64)  # pixels per class
        share = label.max() / max(label.sum(), 1)
        # The majority class predicted everywhere: its IoU is its share, every other class
        # present has IoU 0, classes absent from the labels are left out (as in mIoU).
        metrics['floor.aAcc'] = float(np.round(share * 100, 2))
        metrics['floor.mIoU'] = float(np.round(share / max((label > 0).sum(), 1) * 100, 2))
        return metrics
