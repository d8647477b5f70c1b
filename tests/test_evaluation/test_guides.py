"""Candidate guides: each against a direct computation, each view's map its own, paired screens."""
import pytest
import torch
import torch.nn.functional as F

from grass_mm.evaluation.guides import GUIDES, candidate_maps, screen_guides
from grass_mm.evaluation.purity import labelled_pairs
from grass_mm.models.utils import normalize_maps
from tests.test_models.test_selfsup.test_grass import build, views


def flat(n=4, size=64):
    return torch.stack(views(n, size), 1).flatten(0, 1)  # [2N, C, H, W] interleaved


def raw_gradcam(model, x):
    """Grad-CAM of SimCLR's loss on stage 4, written out with a full backward."""
    x = x.detach()
    with torch.enable_grad():
        feat = model.backbone(x)[-1]
        feat.retain_grad()
        model.guide_loss([feat], None).backward()
    model.zero_grad()
    return (feat.detach() * feat.grad.mean(dim=(2, 3), keepdim=True)).mean(1)


def close(a, b, atol=1e-4):
    return torch.allclose(a, b, atol=atol, equal_nan=True)


def test_gradcam_variants_are_the_signed_map_rectified_and_negated():
    model, x = build(stage='gs'), flat(n=2)
    raw = raw_gradcam(model, x)
    assert close(candidate_maps(model, x, 'gradcam'), normalize_maps(raw))
    assert close(candidate_maps(model, x, 'gradcam_relu'), normalize_maps(raw.clamp_min(0)))
    assert close(candidate_maps(model, x, 'gradcam_neg'), normalize_maps(-raw))


def test_stage3_input_gradient_and_activation_maps():
    model, x = build(stage='gs'), flat(n=2)
    assert candidate_maps(model, x, 'gradcam_stage3').shape == (4, 4, 4)  # stride 16 at 64 px
    assert candidate_maps(model, x, 'gradcam').shape == (4, 2, 2)
    saliency = candidate_maps(model, x, 'input_gradient')
    assert saliency.shape == (4, 8, 8) and (saliency >= 0).all()
    leaf = x.clone().requires_grad_()
    with torch.enable_grad():
        model.guide_loss([model.backbone(leaf)[-1]], None).backward()
    want = normalize_maps(F.avg_pool2d(leaf.grad.abs().sum(1, keepdim=True), 8).squeeze(1))
    assert close(saliency, want, 1e-5)
    model.zero_grad()
    with torch.no_grad():
        act = normalize_maps(model.backbone(x)[-1].sum(1))
    assert close(candidate_maps(model, x, 'activation'), act, 0)
    with pytest.raises(ValueError, match='guide must be one of'):
        candidate_maps(model, x, 'attention')


@pytest.mark.parametrize('guide', GUIDES)
def test_each_view_keeps_its_own_map_when_pairs_are_reordered(guide):
    # Swapping two pairs in the batch changes neither the loss nor BN's statistics: each
    # view's map must move with it (a map read off the wrong view would not).
    model, x = build(stage='gs'), flat(n=2)
    order = torch.tensor([2, 3, 0, 1])
    maps = candidate_maps(model, x, guide)
    assert close(candidate_maps(model, x[order], guide), maps[order])
    assert not any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_screen_rows_are_paired_on_the_same_views(synthetic_root):
    pairs = labelled_pairs(f'{synthetic_root}/img_dir/train', f'{synthetic_root}/ann_dir/train')
    rows = screen_guides(
        build(stage='gs'),
        pairs,
        64, (0.2, 1.0), ['gradcam', 'activation'], [0.5, 0.8],
        num_images=4,
        batch=4,
        draws=2,
        log=lambda line: None)
    assert [(r['guide'], r['threshold']) for r in rows] == [('gradcam', 0.5), ('gradcam', 0.8),
                                                            ('activation', 0.5),
                                                            ('activation', 0.8)]
    assert len({r['views'] for r in rows}) == 1
    # A higher threshold never gives larger boxes for the same maps.
    assert rows[1]['mean_box_area'] <= rows[0]['mean_box_area']
    assert rows[3]['mean_box_area'] <= rows[2]['mean_box_area']
