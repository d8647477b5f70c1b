import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.models import SimCLR
from mmpretrain.registry import MODELS

from grass_mm.models import GraSS
from grass_mm.models.utils import crop_and_resize, select_regions

CFG = dict(
    type='GraSS',
    backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN')),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=64,
        out_channels=32,
        num_layers=2,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.5))


def build(**kwargs) -> GraSS:
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # an earlier mmseg Runner's
        model = MODELS.build({**copy.deepcopy(CFG), **kwargs})  # scope may still be current
    model.init_weights()
    return model.train()


def views(n=4, size=64, dtype=torch.float32):
    gen = torch.Generator().manual_seed(1)
    return [torch.randn(n, 3, size, size, generator=gen, dtype=dtype) for _ in range(2)]


def grads(model):
    return {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def test_warmup_is_exactly_simclr():
    model = build()
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        simclr = MODELS.build({**copy.deepcopy(CFG), 'type': 'SimCLR'}).train()
    simclr.load_state_dict(model.state_dict())
    assert isinstance(simclr, SimCLR)
    inputs = views()
    losses = model.loss(inputs, None)
    assert losses['stage'].item() == 0 and set(losses) == {'loss', 'stage'}
    assert torch.equal(losses['loss'], simclr.loss(inputs, None)['loss'])


def test_the_contrast_path_of_the_guide_equals_simclr_loss():
    model = build()
    inputs = views()
    flat = torch.stack(inputs, 1).flatten(0, 1)
    model_copy = copy.deepcopy(model)  # BN statistics move with every forward
    ours = model.contrast(model.neck(model.backbone(flat))[0])
    assert torch.allclose(ours, SimCLR.loss(model_copy, inputs, None)['loss'])


def test_efficient_and_reference_guides_give_the_same_map_in_float64():
    model = build().double()
    flat = torch.stack(views(dtype=torch.float64), 1).flatten(0, 1)
    efficient = model.gradient_maps(flat)
    model.guide = 'reference'
    reference = model.gradient_maps(flat)
    assert efficient.shape == (8, 2, 2) and torch.isfinite(efficient).all()
    assert torch.allclose(efficient, reference, atol=1e-5, rtol=0)
    assert (efficient.amax(dim=(1, 2)) - 1).abs().max() < 1e-12  # normalised by the max


@pytest.mark.slow
@pytest.mark.parametrize('guide', ['efficient', 'reference'])
def test_gs_step_trains_only_on_the_crops(guide):
    model = build(guide=guide, stage='gs')
    inputs = views()
    state = copy.deepcopy(model.state_dict())
    losses = model.loss(inputs, None)
    assert losses['stage'].item() == 1 and 0 < losses['box_area'].item() <= 1
    assert 0 <= losses['no_region'].item() <= 1
    losses['loss'].backward()
    ours = grads(model)

    # The same step by hand: boxes from the same maps, then plain SimCLR on the crops.
    twin = build(guide=guide)
    twin.load_state_dict(state)
    flat = torch.stack(inputs, 1).flatten(0, 1)
    boxes = select_regions(twin.gradient_maps(flat), (64, 64))
    twin.zero_grad()  # the guide pass must leave no gradient behind
    crops = crop_and_resize(flat, boxes).unflatten(0, (-1, 2)).unbind(1)
    SimCLR.loss(twin, list(crops), None)['loss'].backward()
    theirs = grads(twin)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert torch.allclose(ours[key], theirs[key], atol=1e-6), key


def test_kept_samples_are_the_steps_own_and_change_nothing():
    model, inputs = build(stage='gs'), views()
    plain = model.loss(inputs, None)
    assert model.last_samples is None  # nothing kept unless a hook asks
    model.keep_samples = 3
    kept = model.loss(inputs, None)
    assert torch.equal(plain['loss'], kept['loss'])
    samples = model.last_samples
    flat = torch.stack(inputs, 1).flatten(0, 1)
    assert torch.equal(samples['views'], flat[:3])
    assert torch.equal(samples['boxes'], select_regions(model.gradient_maps(flat), (64, 64))[:3])
    assert torch.equal(samples['crops'], crop_and_resize(flat[:3], samples['boxes']))
    assert samples['maps'].shape == (3, 2, 2) and not samples['crops'].requires_grad


def test_gs_with_degenerate_maps_trains_on_whole_views(monkeypatch):
    model = build(stage='gs')
    inputs = views()
    monkeypatch.setattr(model, 'gradient_maps', lambda v: torch.full(
        (v.size(0), 2, 2), float('nan')))
    losses = model.loss(inputs, None)
    assert losses['no_region'].item() == 1 and losses['box_area'].item() == 1
    model.stage = 'warmup'
    assert torch.allclose(losses['loss'], model.loss(inputs, None)['loss'])


def test_random_sampler_control_keeps_the_box_sizes_and_ignores_where_the_map_points(monkeypatch):
    gradient, control = build(stage='gs'), build(stage='gs', sampler='random')
    flat = torch.stack(views(), 1).flatten(0, 1)
    torch.manual_seed(5)
    ours = control.sample(flat)
    found = gradient.sample(flat)

    def areas(b):
        return sorted(((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])).tolist())

    assert areas(ours.boxes) == areas(found.boxes)  # the gradient boxes' size distribution
    assert torch.allclose(ours.maps, found.maps, atol=1e-5, equal_nan=True)  # one guide pass
    assert torch.equal(ours.crops, crop_and_resize(flat, ours.boxes))  # the same crop path
    # Maps that point elsewhere but give boxes of the same sizes: the same control boxes.
    flipped = found.maps.flip(1, 2)
    monkeypatch.setattr(control, 'gradient_maps', lambda v: flipped)
    torch.manual_seed(5)
    assert torch.equal(control.sample(flat).boxes, ours.boxes)
    losses = control.loss(views(), None)
    assert losses['stage'].item() == 1 and torch.isfinite(losses['loss'])


def test_guide_scale_runs_the_guide_on_smaller_views():
    model, full = build(guide_scale=0.5), build()  # the same weights
    flat = torch.stack(views(size=128), 1).flatten(0, 1)
    half = F.interpolate(flat, scale_factor=0.5, mode='bilinear', align_corners=False)
    maps = model.gradient_maps(flat)
    assert maps.shape == (8, 2, 2)  # 64 px guide views -> 2x2 layer4
    assert torch.allclose(maps, full.gradient_maps(half), atol=1e-6, equal_nan=True)
    # Boxes are still chosen at full size from those maps.
    assert torch.equal(model.sample(flat).boxes, select_regions(maps, (128, 128)))


@pytest.mark.parametrize('key,value,match', [
    ('guide', 'full', 'guide must be one of'),
    ('sampler', dict(type='GradientBoxSampler', crop_interpolation='area'),
     'crop_interpolation .the crop mode. must be one of'),
    ('stage', 'train', 'stage must be one of'),
    ('sampler', dict(type='RandomBoxSampler', threshold_ratio=1.5), 'threshold_ratio must be in'),
    ('guide_scale', 0.0, 'guide_scale must be in'),
    ('sampler', 'uniform', 'sampler must be one of'),
])
def test_bad_settings_name_the_key(key, value, match):
    with pytest.raises(ValueError, match=match):
        build(**{key: value})


def test_unknown_stage_set_later_is_a_clear_error():
    model = build()
    with pytest.raises(ValueError, match="GraSS: stage must be one of"):
        model.stage = 'finetune'
    assert model.stage == 'warmup'


def test_old_sampling_keys_move_into_the_sampler_with_a_warning():
    with pytest.warns(
            DeprecationWarning, match=r"write model.sampler=dict\(type='RandomBoxSampler'"):
        model = build(sampler='random', threshold_ratio=0.8, crop_interpolation='bilinear')
    assert type(model.box_sampler).__name__ == 'RandomBoxSampler'
    assert model.threshold_ratio == 0.8 and model.crop_interpolation == 'bilinear'
    # Said twice, differently: an error, never one value silently winning.
    with pytest.raises(ValueError, match='threshold_ratio=0.8 contradicts sampler.threshold_ratio'):
        build(sampler=dict(type='GradientBoxSampler', threshold_ratio=0.5), threshold_ratio=0.8)
    with pytest.raises(TypeError, match=r"unexpected arguments \['threshold'\]"):
        build(threshold=0.5)


def test_efficient_guide_works_with_a_neck_that_does_not_pool_first():
    # The efficient guide differentiates from the feature map on, so it no longer needs the
    # neck to average-pool (it used to raise here); it still equals the full backward.
    neck = dict(CFG['neck'], with_avg_pool=False, in_channels=512 * 2 * 2)  # flattens 2x2 maps
    model = build(neck=neck).double()
    flat = torch.stack(views(dtype=torch.float64), 1).flatten(0, 1)
    efficient = model.gradient_maps(flat)
    model.guide = 'reference'
    assert torch.isfinite(efficient).any()
    assert torch.allclose(efficient, model.gradient_maps(flat), atol=1e-5, rtol=0, equal_nan=True)
