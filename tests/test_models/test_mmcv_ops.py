"""Which of mmcv's compiled ops the stack needs: at import ``mmcv._ext`` must load (mmseg imports
``mmcv.ops``), at run time GraSS, FCN and DeepLabV3+ call none, so a node's mmcv can be built with
the CPU ops only (tools/build_wheelhouse.sh)."""
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tests.helpers import REPO

GRASS = f'{REPO}/configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
HEADS = [
    f'{REPO}/configs/benchmarks/dubai_aerial/fcn_r18-d8_1xb8-400i_dubai-aerial-128x128.py',
    f'{REPO}/configs/benchmarks/dubai_aerial/deeplabv3plus_r18-d8_1xb8-400i_dubai-aerial-128x128.py'
]


class _Recorder:
    """Stands for ``mmcv._ext`` in an op module and notes every kernel looked up on it."""

    def __init__(self, ext, calls: list) -> None:
        self._ext, self._calls = ext, calls

    def __getattr__(self, name: str):
        self._calls.append(name)
        return getattr(self._ext, name)


@pytest.fixture
def kernel_calls(monkeypatch) -> list:
    import mmcv.ops  # noqa: F401  (loads every op module, as mmseg's import does)
    calls = []
    modules = [m for n, m in list(sys.modules.items()) if n.startswith('mmcv.ops.') and m]
    for module in modules:
        if hasattr(module, 'ext_module'):
            monkeypatch.setattr(module, 'ext_module', _Recorder(module.ext_module, calls))
    assert len([m for m in modules if hasattr(m, 'ext_module')]) > 30
    return calls


def test_the_recorder_sees_a_kernel(kernel_calls):
    from mmcv.ops import bbox_overlaps
    bbox_overlaps(torch.tensor([[0., 0., 2., 2.]]), torch.tensor([[1., 1., 3., 3.]]))
    assert kernel_calls == ['bbox_overlaps']


def test_grass_steps_call_no_mmcv_kernel(kernel_calls):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(GRASS).model
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg).train()
    views = [torch.randn(4, 3, 64, 64) for _ in range(2)]
    for stage in ('warmup', 'gs'):
        model.stage = stage
        model.loss(views, None)['loss'].backward()
    assert kernel_calls == []


@pytest.mark.parametrize('config', HEADS, ids=['fcn', 'deeplabv3plus'])
def test_segmentation_heads_call_no_mmcv_kernel(config, kernel_calls):
    from mmseg.registry import MODELS
    cfg = Config.fromfile(config).model
    cfg.backbone.init_cfg = None
    cfg.pop('data_preprocessor', None)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg).train()
    model._forward(torch.randn(2, 3, 64, 64)).sum().backward()
    assert kernel_calls == []


def test_torchvisions_box_iou_equals_mmcvs_bbox_overlaps():
    """What replaced the one kernel the project called (speed benchmark, CUDA tests)."""
    from mmcv.ops import bbox_overlaps
    from torchvision.ops import box_iou
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(300, 4, generator=gen) * 100
    a[:, 2:] += a[:, :2]  # x2 >= x1, y2 >= y1
    b = a + torch.randn(300, 4, generator=gen) * 5
    b[:, 2:] = torch.maximum(b[:, 2:], b[:, :2])
    expected = bbox_overlaps(a, b, aligned=True)
    assert torch.allclose(box_iou(a, b).diagonal(), expected, atol=1e-6)
