"""The GPU-hour estimate's arithmetic, and the FLOPs it counts on one real config."""
import pytest

from grass_mm.speed.gpu_cost import Plan, gpu_hours, pretrain_gflops
from tests.helpers import REPO


def test_gpu_hours_adds_warmups_arms_and_finetunes_by_hand():
    plan = Plan(
        images=1000,
        warmups=dict(w=10),
        arms=dict(base='w', gs_twin='w'),
        gs_arms=('gs_twin', ),
        epochs=100,
        finetunes_per_seed=3,
        finetune_iters=10,
        finetune_batch=4,
        seeds=2)
    # GFLOP: warm-up 10 x (40 + 20); base 90 x 40; GS twin 90 x (40 + 20); per image, x 1000 x 2
    pretrain = (10 * 60 + 90 * 40 + 90 * 60) * 1000 * 2
    finetune = 3 * 2 * 10 * 4 * 500
    hours = gpu_hours(plan, dict(w=40.0), dict(w=20.0), 500.0, tflops=1.0)
    assert hours['pretrain'] == pytest.approx(pretrain / 1e3 / 3600)
    assert hours['finetune'] == pytest.approx(finetune / 1e3 / 3600)
    assert hours['total'] == pytest.approx(hours['pretrain'] + hours['finetune'])


def test_a_resnet18_forward_counts_its_known_flops():
    config = f'{REPO}/configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
    # ResNet-18 at 224 px: 1.82 GMACs (torchvision's published figure) = 3.64 GFLOPs; GS's
    # extra is its forward on both views.
    assert pretrain_gflops(config, 224)[1] == pytest.approx(2 * 3.64, rel=0.02)
