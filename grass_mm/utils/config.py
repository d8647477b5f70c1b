"""Config edits by name: change a transform wherever a pipeline nests it."""
from typing import Any, List, Union


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
