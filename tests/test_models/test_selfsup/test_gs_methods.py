"""GS on MoCo v2, BYOL and DenseCL: the warm-up is the base method, the guide leaves nothing."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope
from mmpretrain.models import BYOL, DenseCL, MoCo
from mmpretrain.registry import MODELS

from grass_mm.models import GSBYOL, GSDenseCL, GSMoCoV2
from grass_mm.models.utils import crop_and_resize, select_regions

BACKBONE = dict(type='ResNet', depth=18, norm_cfg=dict(type='BN'))
CONTRASTIVE = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)
CFGS = {
    'GSMoCoV2':
    dict(
        backbone=BACKBONE,
        neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=64, out_channels=32),
        head=CONTRASTIVE,
        queue_len=64,
        feat_dim=32),
    'GSBYOL':
    dict(
        backbone=BACKBONE,
        neck=dict(
            type='NonLinearNeck',
            in_channels=512,
            hid_channels=64,
            out_channels=32,
            num_layers=2,
            with_avg_pool=True,
            norm_cfg=dict(type='BN1d')),
        head=dict(
            type='LatentPredictHead',
            predictor=dict(
                type='NonLinearNeck',
                in_channels=32,
                hid_channels=64,
                out_channels=32,
                num_layers=2,
                with_avg_pool=False,
                norm_cfg=dict(type='BN1d')),
            loss=dict(type='CosineSimilarityLoss'))),
    'GSDenseCL':
    dict(
        backbone=BACKBONE,
        neck=dict(
            type='DenseCLNeck', in_channels=512, hid_channels=64, out_channels=32, num_grid=None),
        head=CONTRASTIVE,
        queue_len=64,
        feat_dim=32),
}
BASES = {'GSMoCoV2': MoCo, 'GSBYOL': BYOL, 'GSDenseCL': DenseCL}
METHODS = list(CFGS)


@pytest.fixture(autouse=True)
def max_iters():
    # BYOL's CosineEMA reads the schedule length from the message hub, as a Runner sets it.
    MessageHub.get_current_instance().update_info('max_iters', 100)


def build(name: str, **kwargs):
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(type=name, **copy.deepcopy(CFGS[name]), **kwargs))
    model.init_weights()
    return model.train()


def views(n=4, size=64, dtype=torch.float32):
    gen = torch.Generator().manual_seed(1)
    return [torch.randn(n, 3, size, size, generator=gen, dtype=dtype) for _ in range(2)]


def grads(model):
    return {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def momentum_state(model):
    """The parts a guide pass must not touch: queues and momentum-encoder parameters."""
    momentum = model.target_net if isinstance(model, BYOL) else model.encoder_k
    state = {f'momentum.{k}': v.clone() for k, v in momentum.module.named_parameters()}
    state['momentum.steps'] = momentum.steps.clone()
    state.update({k: v.clone() for k, v in model.named_buffers() if k.startswith('queue')})
    return state


def assert_same(a: dict, b: dict, exact: bool = True):
    assert a.keys() == b.keys()
    for key in a:
        same = torch.equal(a[key], b[key]) if exact else torch.allclose(a[key], b[key], atol=1e-6)
        assert same, key


@pytest.mark.parametrize('name', METHODS)
def test_each_shipped_config_builds_its_method_and_runs_a_gs_step(name):
    """The Dubai CPU config of each plug-in (configs/gs/) builds the registered class with
    GraSS's sampler, and a GS step on it trains on crops (finite loss, gradients reach the
    backbone): a config with a wrong type, sampler or neck fails here."""
    import glob
    import os.path as osp

    from mmengine.config import Config

    from grass_mm.models.utils import GradientBoxSampler
    from tests.helpers import REPO
    short = dict(GSMoCoV2='mocov2', GSBYOL='byol', GSDenseCL='densecl')[name]
    path, = glob.glob(osp.join(REPO, 'configs', 'gs', f'gs-{short}_resnet18_*dubai*.py'))
    cfg = Config.fromfile(path).model
    cfg.backbone.depth = 18
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    assert type(model) is dict(GSMoCoV2=GSMoCoV2, GSBYOL=GSBYOL, GSDenseCL=GSDenseCL)[name]
    assert type(model.box_sampler) is GradientBoxSampler and model.stage == 'warmup'
    model.init_weights()
    model.train()
    model.stage = 'gs'
    losses = model.loss([v * 0.5 for v in views(n=4)], None)
    loss = sum(v for k, v in losses.items() if k.startswith('loss'))  # DenseCL: two terms
    assert losses['stage'].item() == 1 and torch.isfinite(loss)
    loss.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('name', METHODS)
def test_warmup_is_exactly_the_base_method(name):
    model = build(name)
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # an earlier mmseg Runner's scope
        base = BASES[name](**copy.deepcopy(CFGS[name])).train()
    base.load_state_dict(model.state_dict())
    inputs = views()
    torch.manual_seed(3)  # MoCo and DenseCL shuffle the key batch
    ours = model.loss(inputs, None)
    torch.manual_seed(3)
    theirs = base.loss(inputs, None)
    assert ours.pop('stage').item() == 0
    assert_same(ours, theirs)
    assert_same(momentum_state(model), momentum_state(base))  # the same queue/momentum updates


@pytest.mark.parametrize('name', METHODS)
def test_gs_step_equals_the_base_method_on_the_same_crops(name):
    model = build(name, stage='gs')
    model.loss(views(), None)  # one step first: momentum encoder and queue hold real values
    model.zero_grad()
    twin = copy.deepcopy(model)
    inputs = views()
    torch.manual_seed(3)
    losses = model.loss(inputs, None)
    assert losses.pop('stage').item() == 1 and 0 < losses.pop('box_area').item() <= 1
    assert 0 <= losses.pop('no_region').item() <= 1
    sum(losses.values()).backward()

    # By hand: the guide pass alone must leave no gradient, queue or momentum update behind...
    before = momentum_state(twin)
    flat = torch.stack(inputs, 1).flatten(0, 1)
    boxes = select_regions(twin.gradient_maps(flat), (64, 64))
    assert not grads(twin)
    assert_same(momentum_state(twin), before)
    # ...and the step is then the base method on the crops.
    crops = list(crop_and_resize(flat, boxes).unflatten(0, (-1, 2)).unbind(1))
    torch.manual_seed(3)
    theirs = BASES[name].loss(twin, crops, None)
    sum(theirs.values()).backward()
    assert_same(losses, theirs, exact=False)
    assert_same(grads(model), grads(twin), exact=False)
    assert_same(momentum_state(model), momentum_state(twin), exact=False)


@pytest.mark.parametrize('name', METHODS)
def test_efficient_map_equals_the_full_backward_map_in_float64(name):
    model = build(name).double()
    model.loss(views(dtype=torch.float64), None)  # fill the queue with real keys
    flat = torch.stack(views(dtype=torch.float64), 1).flatten(0, 1)
    efficient = model.gradient_maps(flat)
    model.guide = 'reference'
    reference = model.gradient_maps(flat)
    assert efficient.shape == (8, 2, 2) and torch.isfinite(efficient).all()
    assert torch.allclose(efficient, reference, atol=1e-5, rtol=0)
    assert not grads(model)


@pytest.mark.parametrize('name', METHODS)
def test_random_box_sampler_and_bad_settings(name):
    model = build(name, stage='gs', sampler=dict(type='RandomBoxSampler', threshold_ratio=0.3))
    assert model.threshold_ratio == 0.3 and model.crop_interpolation == 'nearest'
    losses = model.loss(views(), None)
    assert all(torch.isfinite(v) for v in losses.values())
    with pytest.raises(ValueError, match=f'{name}: guide must be one of'):
        build(name, guide='full')
    with pytest.raises(ValueError, match=f'{name}: threshold_ratio must be in'):
        build(name, sampler=dict(type='GradientBoxSampler', threshold_ratio=1.0))
    with pytest.raises(KeyError, match='sampler type must be a registered sampler'):
        build(name, sampler=dict(type='NoSuchSampler'))
