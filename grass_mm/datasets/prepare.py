"""A labelled segmentation set in mmseg layout from the data a user has (the demo's input)."""
import os.path as osp
from typing import Optional

from .dubai_aerial import convert_dubai_aerial
from .synthetic import generate_synthetic_aerial


def prepare_labelled_data(data_root: Optional[str], out_dir: str, seed: int = 0) -> tuple:
    """A labelled set in mmseg layout from what a user has: nothing (the synthetic scenes are
    rendered), a synthetic set, or the Dubai aerial set in its original layout (converted).

    Args:
        data_root: The user's folder, or None for synthetic scenes.
        out_dir: Where rendered or converted data go (``<out_dir>/synthetic_aerial`` or
            ``<out_dir>/dubai_aerial``).
        seed: Seed of the rendered scenes.

    Returns:
        ``(kind, mmseg-layout folder, what was done)``; ``kind`` is ``synthetic`` or ``dubai``.

    Raises:
        FileNotFoundError: ``data_root`` is not a folder.
        ValueError: ``data_root`` is neither layout (both are named).
    """
    if data_root is None:
        return 'synthetic', generate_synthetic_aerial(
            osp.join(out_dir, 'synthetic_aerial'), seed=seed), 'rendered'
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'{data_root} is not a folder')
    if osp.isfile(osp.join(data_root, 'synthetic_aerial.json')):
        return 'synthetic', data_root, 'as given'
    for tiles in (data_root, osp.join(data_root, 'Semantic segmentation dataset')):
        if osp.isdir(osp.join(tiles, 'Tile 1')):
            out = osp.join(out_dir, 'dubai_aerial')
            counts = convert_dubai_aerial(data_root, out)
            return 'dubai', out, f'converted from {data_root}: {counts} images'
    raise ValueError(f'{data_root}: expected the Dubai aerial original layout '
                     "('Tile 1' ... 'Tile 7' folders, or them under 'Semantic segmentation "
                     "dataset') or a folder holding synthetic_aerial.json")
