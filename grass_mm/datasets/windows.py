"""The one window grid of the project: patch cutting, GeoTIFF patches and scene inference."""
from typing import Iterator, List, Tuple


def window_starts(length: int, size: int, stride: int, border: str = 'shift') -> List[int]:
    """Window start offsets along one axis of ``length`` pixels, every ``stride``.

    Args:
        length (int): Pixels along the axis.
        size (int): Window size.
        stride (int): Step between windows.
        border (str): What happens where the grid does not reach the end: ``'shift'`` adds one
            last window flush with the border, overlapping its neighbour, so every pixel is
            covered (an axis shorter than ``size`` gives one window at 0); ``'drop'`` keeps whole
            windows only; ``'pad'`` lets the last window run over the border.

    Returns:
        list[int]: The starts, ascending.
    """
    if border not in ('shift', 'drop', 'pad'):
        raise ValueError(f"border must be 'shift', 'drop' or 'pad', got {border!r}")
    if length <= size:
        return [0] if border != 'drop' or length == size else []
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] + size < length:
        if border == 'shift':
            starts.append(length - size)
        elif border == 'pad':
            starts.append(starts[-1] + stride)
    return starts


def iter_windows(height: int, width: int, size: int,
                 stride: int) -> Iterator[Tuple[int, int, int, int]]:
    """``(col_off, row_off, w, h)`` of a grid of ``size`` windows; the last row and column are
    shifted inside the scene (a scene smaller than ``size`` gives one window, itself)."""
    for y in window_starts(height, size, stride):
        for x in window_starts(width, size, stride):
            yield x, y, min(size, width), min(size, height)
