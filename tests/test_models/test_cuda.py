"""The CUDA paths: batched region selection, GS steps under AMP (run by tools/gpu_acceptance.sh).

Skipped without a GPU. ``GRASS_MM_CUDA_TEST_DEVICE=cpu`` runs them on the CPU instead, to check
the test code itself (slowly, bf16 only); it says nothing about CUDA.
"""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from torchvision.ops import box_iou

from grass_mm.models.utils import normalize_maps, select_regions
from tests.helpers import REPO

DEVICE = os.environ.get('GRASS_MM_CUDA_TEST_DEVICE', 'cuda')
pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(
        DEVICE == 'cuda' and not torch.cuda.is_available(),
        reason='needs a CUDA GPU (tools/gpu_acceptance.sh runs these on one)'),
]
POTSDAM = osp.join(
    os.environ.get('GRASS_MM_DATA', osp.join(REPO, '..', 'shared', 'data')), 'rs_benchmark_crops',
    'pseudo_potsdam_dataset', 'img_dir', '2_10_0_0_512_512.png')


def edge_case_maps() -> torch.Tensor:
    """The hand-made cases of test_regions.py on 7x7 maps: blobs, diagonals, ties, rings,
    single pixels, constant, NaN, inf and negative maps."""
    maps = torch.zeros(9, 7, 7)
    maps[0, 1:3, 1:3], maps[0, 4:6, 3:6] = 0.8, 1.0  # two blobs, the later holds the peak
    maps[1, 1, 1] = maps[1, 2, 2] = maps[1, 3, 3] = 1.0  # 8-connected diagonal
    maps[2, 3, 2] = 1.0  # one pixel
    maps[3, 0, 0] = maps[3, 6, 6] = 1.0  # equal peaks: the later component
    maps[4, 1, 1:6] = maps[4, 5, 1:6] = maps[4, 1:6, 1] = maps[4, 1:6, 5] = 0.9  # ring
    maps[4, 3, 3] = 1.0  # around its own peak
    maps[5] = 1.0  # constant: no region
    maps[6, 0, 0] = float('nan')
    maps[7, 1, 1] = float('inf')
    maps[8] = -torch.rand(7, 7)  # max < 0
    return normalize_maps(maps)


@pytest.mark.parametrize('size', [7, 32, 96, 224])
def test_cuda_selection_equals_scipy_on_random_maps_and_edge_cases(size):
    gen = torch.Generator().manual_seed(size)
    random_maps = normalize_maps(torch.rand(512, 7, 7, generator=gen) - 0.3)
    smooth = torch.nn.functional.avg_pool2d(
        torch.rand(512, 1, 9, 9, generator=gen), 3, stride=1).squeeze(1)  # blob-like, 7x7
    maps = torch.cat([random_maps, normalize_maps(smooth - 0.5), edge_case_maps()])
    for ratio in (0.3, 0.5, 0.7):
        ref_boxes, ref_found = select_regions(
            maps, (size, size), ratio, return_found=True, backend='numpy')
        boxes, found = select_regions(
            maps.to(DEVICE), (size, size), ratio, return_found=True, backend='torch')
        assert boxes.device.type == DEVICE
        assert torch.equal(boxes.cpu(), ref_boxes), (size, ratio)
        assert torch.equal(found.cpu(), ref_found), (size, ratio)


def views_of_real_imagery(n: int, size: int) -> list:
    """Two views per image: random crops of the real Potsdam tile when present, else of
    synthetic scenes; normalised like the configs."""
    rng = np.random.default_rng(0)
    if osp.isfile(POTSDAM):
        import mmcv
        source = [mmcv.imread(POTSDAM, channel_order='rgb')]
    else:
        from grass_mm.datasets.synthetic import render_scene
        source = [render_scene(rng, 512)[0] for _ in range(4)]
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    views = []
    for _ in range(2):
        crops = []
        for i in range(n):
            image = source[i % len(source)]
            side = int(rng.integers(160, 320))
            y, x = rng.integers(0, image.shape[0] - side), rng.integers(0, image.shape[1] - side)
            crop = torch.from_numpy(image[y:y + side, x:x + side].copy()).permute(2, 0, 1)
            crops.append(
                torch.nn.functional.interpolate(
                    crop[None].float(), size=(size, size), mode='bilinear', align_corners=False))
        views.append(((torch.cat(crops) - mean) / std).to(DEVICE))
    return views


def grass_r50(**kwargs):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    cfg = dict(
        type='GraSS',
        stage='gs',
        backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN'), zero_init_residual=True),
        neck=dict(
            type='NonLinearNeck',
            in_channels=2048,
            hid_channels=2048,
            out_channels=128,
            num_layers=2,
            with_avg_pool=True,
            norm_cfg=dict(type='BN1d')),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.5),
        **kwargs)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model.to(DEVICE).train()


def trained_like(model, views, steps: int = 5):
    """A few SGD steps of the warm-up on the same imagery: maps of a network that has begun
    to discriminate, rather than of its initialisation."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.stage = 'warmup'
    for _ in range(steps):
        model.loss(views, None)['loss'].backward()
        optimizer.step()
        optimizer.zero_grad()
    model.stage = 'gs'
    return model


AMP = [('fp16', torch.float16), ('bf16', torch.bfloat16)] if DEVICE == 'cuda' else \
    [('bf16', torch.bfloat16)]


@pytest.mark.parametrize('name,dtype', AMP, ids=[a[0] for a in AMP])
def test_gs_step_under_autocast_matches_fp32_boxes(name, dtype):
    views = views_of_real_imagery(32, 224)
    model = trained_like(grass_r50(), views)
    flat = torch.stack(views, 1).flatten(0, 1)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    fp32 = model.sample(flat)
    model.load_state_dict(state)  # the same BN statistics for both passes
    with torch.autocast(DEVICE, dtype=dtype):
        amp = model.sample(flat)
    # The guide never underflows: every view keeps a map with a region in it.
    assert amp.found.all(), f'{name}: {int((~amp.found).sum())} views without a region'
    assert torch.isfinite(amp.maps).all() and (amp.maps.abs().amax(dim=(1, 2)) > 0).all()
    # torchvision's IoU: mmcv's bbox_overlaps is compiled, and a node's mmcv has CPU ops only.
    iou = box_iou(fp32.boxes.float(), amp.boxes.float()).diagonal()
    assert iou.mean().item() >= 0.95, f'{name}: mean box IoU with fp32 {iou.mean():.3f}'

    # A whole GS training step with the loss scaled as mmengine's AmpOptimWrapper does.
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler(DEVICE, enabled=dtype == torch.float16)
    with torch.autocast(DEVICE, dtype=dtype):
        losses = model.loss(views, None)
    assert torch.isfinite(losses['loss']), f'{name}: loss {losses["loss"].item()}'
    scaler.scale(losses['loss']).backward()
    scaler.step(optimizer)
    scaler.update()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize('method', ['GSMoCoV2', 'GSBYOL', 'GSDenseCL'])
def test_gs_plugins_step_under_fp16_autocast(method):
    from mmengine.config import Config
    from mmengine.logging import MessageHub
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    base = dict(GSMoCoV2='mocov2', GSBYOL='byol', GSDenseCL='densecl')[method]
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models',
                                   f'{base}_resnet50.py')).model.to_dict()
    cfg.pop('data_preprocessor')
    cfg.update(type=method, stage='gs')
    cfg['backbone']['norm_cfg'] = dict(type='BN')
    MessageHub.get_current_instance().update_info('max_iters', 100)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg).to(DEVICE).train()
    dtype = torch.float16 if DEVICE == 'cuda' else torch.bfloat16
    with torch.autocast(DEVICE, dtype=dtype):
        losses = model.loss(views_of_real_imagery(16, 224), None)
    assert all(torch.isfinite(v) for v in losses.values()), losses
    assert losses['no_region'].item() < 1
