"""The files a scene inference writes beside its map, and the checks and names that keep a
user's files safe (:func:`grass_mm.apis.predict_scene`)."""
import glob
import os
from typing import List, Optional, Sequence

import numpy as np

from grass_mm.utils.workdir import pid_alive


def write_preview(path: str, labels: np.ndarray, palette: Optional[Sequence]) -> None:
    """A colour PNG of ``labels`` with the model's palette (nodata black)."""
    import cv2
    colours = np.zeros((256, 3), np.uint8)  # nodata black
    for i, colour in enumerate(palette or []):
        colours[i] = colour
    cv2.imwrite(path, colours[labels][..., ::-1])


def write_qgis_style(path: str, classes: Sequence[str], palette: Sequence) -> None:
    """A QGIS layer style beside the map (``<map>.qml``, which QGIS loads with the layer): a
    paletted renderer that shows each class in its colour under its name."""
    from xml.sax.saxutils import quoteattr
    entries = '\n'.join(
        f'        <paletteEntry value="{i}" color="#{r:02x}{g:02x}{b:02x}" alpha="255" '
        f'label={quoteattr(str(name))}/>'
        for i, (name, (r, g, b)) in enumerate(zip(classes, palette)))
    with open(path, 'x') as f:
        f.write("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                '<qgis styleCategories="Symbology">\n  <pipe>\n'
                '    <rasterrenderer type="paletted" band="1" opacity="1">\n'
                f'      <colorPalette>\n{entries}\n      </colorPalette>\n'
                '    </rasterrenderer>\n  </pipe>\n</qgis>\n')


def overview_factors(height: int, width: int, smallest: int = 256) -> List[int]:
    """2, 4, 8, ... until the overview's longer side is below ``smallest`` pixels."""
    factors, factor = [], 2
    while max(height, width) / factor >= smallest:
        factors.append(factor)
        factor *= 2
    return factors or [2]


def partial_name(path: str) -> str:
    """The temporary name an output is written under: hidden, beside it, same extension."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    return os.path.join(folder, f'.{stem}.partial-{os.getpid()}{ext}')


def remove_stale_partials(path: str) -> List[str]:
    """Remove the hidden partial files of ``path`` left by killed runs (their pid is gone), and
    return their names: a killed run cannot clean up, the next one for the same output does.
    A live run's partial file is left alone."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    removed = []
    for partial in glob.glob(os.path.join(folder or '.', f'.{glob.escape(stem)}.partial-*{ext}')):
        pid = partial[:len(partial) - len(ext)].rsplit('.partial-', 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid() or pid_alive(int(pid)):
            continue  # not a partial name, ours, or a live run is writing it
        os.remove(partial)
        removed.append(partial)
    return removed


def check_outputs(src_path: str, **outputs: Optional[str]) -> None:
    """Refuse, before any work, outputs that exist, collide with each other or with the input,
    or go to a folder that does not exist.

    Args:
        src_path: The input (never written).
        **outputs: Role -> path (None: not written), e.g. ``map=..., preview=...``.

    Raises:
        ValueError: naming the path and what is wrong.
    """
    seen = {os.path.abspath(src_path): 'the input'}
    for role, path in outputs.items():
        if not path:
            continue
        full = os.path.abspath(path)
        if full in seen:
            raise ValueError(f'{path}: the {role} output would replace {seen[full]}; give '
                             'each output its own path')
        seen[full] = f'the {role} output'
        folder = os.path.dirname(full)
        if not os.path.isdir(folder):
            raise ValueError(f'{path}: the folder {folder} does not exist (create it first)')
        if os.path.exists(full):
            raise ValueError(f'{path} exists; give a new output path (nothing is overwritten)')
