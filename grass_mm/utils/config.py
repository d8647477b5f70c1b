"""Config edits by name: a transform wherever a pipeline nests it, a schedule's length, the
workers of every dataloader."""
from typing import Any, List, Optional, Union


def update_transforms(pipeline: Union[dict, List], transform_type: str, **changes: Any) -> int:
    """Update every transform of ``transform_type`` in ``pipeline``, in place.

    Walks nested ``transforms`` (``MultiView``'s list of view pipelines, ``RandomApply``,
    ``RGBOnly``), so code names the transform instead of its position
    (``pipeline[1].transforms[0][0]``), and a pipeline that gains a step keeps working.

    Args:
        pipeline: A pipeline (list of transform dicts) or one transform dict.
        transform_type: The ``type`` to change, e.g. ``'RandomResizedCrop'``.
        **changes: The arguments to set.

    Returns:
        How many transforms were changed.

    Raises:
        KeyError: No transform of ``transform_type`` is in the pipeline.
    """

    def walk(node: Any) -> int:
        if isinstance(node, (list, tuple)):
            return sum(walk(item) for item in node)
        if not isinstance(node, dict):
            return 0
        count = walk(node.get('transforms', []))
        if node.get('type') == transform_type:
            node.update(changes)
            count += 1
        return count

    count = walk(pipeline)
    if count == 0:
        raise KeyError(f'no {transform_type} in the pipeline (types: {_types(pipeline)})')
    return count


def _types(node: Any) -> List[str]:
    if isinstance(node, (list, tuple)):
        return [t for item in node for t in _types(item)]
    if isinstance(node, dict):
        return [node.get('type', '?')] + _types(node.get('transforms', []))
    return []


def scale_schedule(cfg, epochs: int) -> None:
    """Shorten (or lengthen) an epoch-based pretraining config to ``epochs``, in place.

    Every epoch-based scheduler's ``begin``/``end`` and GraSS's warm-up scale by
    ``epochs / max_epochs`` (a non-zero point stays at least 1, so a warm-up never vanishes;
    the warm-up stays shorter than the run, so GS is reached); a cosine's ``T_max`` follows its
    new span, and a scheduler whose span the shorter run never reaches is dropped (at 1 epoch,
    the cosine after a 1-epoch learning-rate warm-up). The shape of the schedule is kept,
    whatever its schedulers are.

    Args:
        cfg: An mmengine config with ``train_cfg.max_epochs``.
        epochs: The new length.
    """
    factor = epochs / cfg.train_cfg.max_epochs

    def scaled(value: int) -> int:
        return 0 if value == 0 else max(1, round(value * factor))

    cfg.train_cfg.max_epochs = epochs
    kept = []
    for scheduler in cfg.get('param_scheduler', []):
        if scheduler.get('by_epoch', True):
            for key in ('begin', 'end'):
                if key in scheduler:
                    scheduler[key] = min(scaled(scheduler[key]), epochs)
            if scheduler.get('begin', 0) >= scheduler.get('end', epochs):
                continue  # a span the shortened run never reaches (mmengine refuses it)
            if 'T_max' in scheduler:
                scheduler['T_max'] = max(1,
                                         scheduler.get('end', epochs) - scheduler.get('begin', 0))
        kept.append(scheduler)
    if 'param_scheduler' in cfg:
        cfg.param_scheduler = kept
    hook = find_hook(cfg)
    if hook is not None and hook.get('warmup_epochs'):
        hook['warmup_epochs'] = min(scaled(hook['warmup_epochs']), max(epochs - 1, 0))


def scale_iters(cfg, iters: int) -> None:
    """Set an iteration-based (fine-tuning) config's length to ``iters``, in place: one
    validation and one checkpoint at the end, the first scheduler ending there."""
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = iters
    cfg.param_scheduler[0].end = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = min(50, iters)


def set_workers(cfg, num_workers: Optional[int]) -> None:
    """Give every dataloader of ``cfg`` ``num_workers`` workers (``None``: keep the config's);
    workers persist only where there are any (mmengine refuses ``persistent_workers`` with
    none)."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader is None:
            continue
        if num_workers is not None:
            loader.num_workers = num_workers
        loader.persistent_workers = loader.get('num_workers', 0) > 0


def find_hook(cfg, hook_type: str = 'GraSSStageHook') -> Optional[dict]:
    """The ``custom_hooks`` entry of ``cfg`` of type ``hook_type`` (the stage switch by
    default), to read or set in place; None if there is none. Every caller that reads, sets or
    scales the switch finds it here, by type, never by its position in the list."""
    return next((h for h in cfg.get('custom_hooks', None) or [] if h.get('type') == hook_type),
                None)


#: The algorithms with GraSS's two stages (they start in ``stage='warmup'``).
GS_MODELS = ('GraSS', 'GSMoCoV2', 'GSBYOL', 'GSDenseCL')


def check_stage_switch(cfg) -> None:
    """Refuse a GS config that can never leave the warm-up (a GraSS run that is SimCLR).

    A GS model starts in ``'warmup'``; only :class:`~grass_mm.engine.hooks.GraSSStageHook`
    switches it to gradient-guided sampling. A config that overrides ``custom_hooks`` and drops
    the hook would train the base method for the whole run and exit 0. ``warmup_only = True``
    in the config says such a run is meant.

    Raises:
        ValueError: naming the model, the hooks found and the line to add.
    """
    model = cfg.get('model') or {}
    if model.get('type') not in GS_MODELS or model.get('stage', 'warmup') == 'gs':
        return
    if find_hook(cfg) is not None or cfg.get('warmup_only', False):
        return
    hooks = [h.get('type') for h in cfg.get('custom_hooks', None) or []]
    raise ValueError(
        f"model.type={model.get('type')} starts in stage 'warmup' and nothing switches it to "
        f'gradient-guided sampling: custom_hooks has no GraSSStageHook ({hooks or "none"}). '
        "Add dict(type='GraSSStageHook', warmup_epochs=N) (or warmup_iters=N) to custom_hooks, "
        'or set warmup_only = True in the config if a warm-up-only run is meant')
