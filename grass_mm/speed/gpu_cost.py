"""What the paired GPU presets cost on one GPU, estimated from counted FLOPs until a GPU measures
a step (``tools/analysis_tools/gpu_cost.py`` prints the tables).

A training step's FLOPs are counted on the CPU with torch's ``FlopCounterMode`` (forward and
backward, the real mmpretrain/mmseg models of the configs). A GS step cannot be counted that
way (its guide calls ``torch.autograd.grad``); it is the base step plus one forward of the
encoder on both views (the guide pass; its backward, through the neck and head to the last
feature map, is not counted). Seconds are FLOPs over an assumed sustained rate: that
assumption, not the count, is the uncertain part, and the first GPU run's ``gs_step_amp`` step
replaces it with a measured SimCLR step.
"""
from dataclasses import dataclass
from typing import Dict, List, Tuple

import torch
from torch.utils.flop_counter import FlopCounterMode

# Training images of mmseg's converters (its dataset_prepare.md): the pretraining sets.
PRETRAIN_IMAGES = dict(potsdam=3456, vaihingen=344, loveda_urban=1156, loveda_rural=1366)


def pretrain_gflops(config: str, size: int = 224) -> Tuple[float, float]:
    """Counted GFLOPs of a GS config's model, built once.

    Returns:
        Per image, one base-method training step (both views, forward and backward, at the
        warm-up stage), and the GS step's extra: one encoder forward of both views.
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(Config.fromfile(config).model).train()
    if hasattr(model, 'stage'):
        model.stage = 'warmup'
    views = [torch.randn(2, 3, size, size) for _ in range(2)]
    with FlopCounterMode(display=False) as step:
        losses = model.loss(views, None)
        sum(v for k, v in losses.items() if 'loss' in k).backward()  # as mmengine sums them
    with torch.no_grad(), FlopCounterMode(display=False) as forward:
        model.backbone(torch.randn(1, 3, size, size))
    return step.get_total_flops() / 2 / 1e9, 2 * forward.get_total_flops() / 1e9


def finetune_step_gflops(config: str) -> float:
    """Counted GFLOPs per image of one mmseg training step at the config's crop size."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(config)
    crop = cfg.get('crop_size', (512, 512))
    model_cfg = cfg.model
    model_cfg.backbone.init_cfg = None
    model_cfg.pop('data_preprocessor', None)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(model_cfg).train()
    with FlopCounterMode(display=False) as counter:  # batch 2: BN needs more than one value
        model._forward(torch.randn(2, 3, *crop)).sum().backward()
    return counter.get_total_flops() / 2 / 1e9


@dataclass
class Plan:
    """One run of a preset: pretraining images x epochs per arm, and fine-tunings."""
    images: int
    warmups: Dict[str, int]  # warm-up name -> epochs
    arms: Dict[str, str]  # arm -> its warm-up
    gs_arms: Tuple[str, ...]  # the arms that crop as GS does (a GraSSStageHook in the config)
    epochs: int
    finetunes_per_seed: int
    finetune_iters: int
    finetune_batch: int
    seeds: int = 3


def gpu_hours(plan: Plan, step: Dict[str, float], gs_extra: Dict[str, float], seg_step: float,
              tflops: float) -> Dict[str, float]:
    """GPU-hours of a plan at a sustained ``tflops``.

    Args:
        plan: The preset's sizes.
        step: Base step GFLOPs per image, by warm-up name (the family's base method).
        gs_extra: Extra GFLOPs per image of a GS step, by warm-up name.
        seg_step: Fine-tuning GFLOPs per image.
        tflops: The assumed sustained rate, TFLOP/s.

    Returns:
        ``pretrain``, ``finetune`` and ``total`` hours for all seeds.
    """
    pretrain = 0.0
    for warmup, epochs in plan.warmups.items():
        pretrain += epochs * (step[warmup] + gs_extra[warmup])  # a GS config before its switch
    for arm, warmup in plan.arms.items():
        pretrain += (plan.epochs - plan.warmups[warmup]) * (
            step[warmup] + (gs_extra[warmup] if arm in plan.gs_arms else 0.0))
    pretrain *= plan.images * plan.seeds
    finetune = plan.finetunes_per_seed * plan.seeds * plan.finetune_iters * \
        plan.finetune_batch * seg_step
    hours = lambda gflop: gflop / (tflops * 1e3) / 3600  # noqa: E731
    return dict(
        pretrain=hours(pretrain), finetune=hours(finetune), total=hours(pretrain + finetune))


def preset_plan(matrix, data: str, seeds: int = 3) -> Plan:
    """The plan of a paired GPU preset (``configs/benchmark_matrix/*_r50_gpu.py``)."""
    from mmengine.config import Config

    from grass_mm.utils.config import find_hook
    seg = Config.fromfile(matrix.names['seg'])
    warmups = {name: spec['epochs'] for name, spec in matrix.warmups.items()}
    arms = {name: spec['warmup'] for name, spec in matrix.arms.items()}
    gs_arms = tuple(name for name, spec in matrix.arms.items()
                    if find_hook(Config.fromfile(spec['config'])) is not None)
    # Every arm runs to its warm-up config's last epoch, as the paired harness does.
    epochs = Config.fromfile(next(iter(matrix.warmups.values()))['config']).train_cfg.max_epochs
    return Plan(
        images=PRETRAIN_IMAGES[data],
        warmups=warmups,
        arms=arms,
        gs_arms=gs_arms,
        epochs=epochs,
        finetunes_per_seed=len(matrix.segmentation['arms']),
        finetune_iters=seg.train_cfg.max_iters,
        finetune_batch=seg.train_dataloader.batch_size * matrix.gpus['finetune'],
        seeds=seeds)


def first_answer(plan: Plan) -> Plan:
    """The Potsdam question at a size that fits one GPU-day: SimCLR, GraSS and the random-box
    control only, 200 epochs (warm-up 20), three seeds, and one 8k-iteration DeepLabV3+ per
    arm and the init for seed 0 alone."""
    warmup = 'simclr_warmup'
    return Plan(
        images=plan.images,
        warmups={warmup: 20},
        arms={arm: warmup
              for arm in ('simclr', 'grass', 'grass_random_boxes')},
        gs_arms=('grass', 'grass_random_boxes'),
        epochs=200,
        finetunes_per_seed=4,
        finetune_iters=8000,
        finetune_batch=plan.finetune_batch,
        seeds=3)


def rows(plans: Dict[str, Plan], step, gs_extra, seg_step, rates: List[float]) -> List[str]:
    """Markdown rows: plan | images | pretraining and fine-tuning GPU-h at each rate."""
    out = []
    for name, plan in plans.items():
        cells = []
        for rate in rates:
            h = gpu_hours(plan, step, gs_extra, seg_step, rate)
            cells.append(f"{h['pretrain']:.1f} + {h['finetune']:.0f} = {h['total']:.0f}")
        out.append(f'| {name} | {plan.images} x {plan.epochs} ep, {plan.seeds} seeds | ' +
                   ' | '.join(cells) + ' |')
    return out
