"""``KNNProbeHook`` was removed; a config that still names it gets the replacement."""
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KNNProbeHook(Hook):
    """Removed: use :class:`~grass_mm.engine.hooks.DenseProbeHook`.

    Its bank and queries were the even and odd images of one folder, so both came from the same
    tiles and its score saturated (98.43 % before and after the demo's pretraining).
    """

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError(
            'KNNProbeHook was removed: its bank and queries came from the same images\' tiles '
            '(an image-parity split) and its score saturated. Use DenseProbeHook(train_split='
            '<an mmseg dataset config>, test_split=<a held-out one>, interval=...): it runs the '
            'k-NN read-out (probe/knn_mAcc) and a linear one (probe/linear_mIoU) on held-out '
            'labels (docs/en/user_guides/training.md, "Watching the features grow").')
