"""Whether a later matrix reproduced an earlier record's start: init, warm-up, data order.

A matrix that adds arms to an earlier record (``compare_with`` in the matrix file, e.g. the
oracle arms beside benchmark v2 part 2's SimCLR, GraSS and control) reruns each seed's init and
shared warm-up. Its new arms are paired with the record's old ones only if those are bit for bit
the same: the weights' digests (``kind='checkpoint'`` cells), the init's and the warm-up's probe
figures, and the first batches of the continuations.
"""
import os.path as osp
from typing import Dict, List, Optional

from grass_mm.utils.checkpoint import weights_sha256


def checkpoint_cells(seed_dir: str, seed: int, warmup_epochs: int) -> List[dict]:
    """``kind='checkpoint'`` cells: the digests of the seed's init and warm-up weights."""
    cells = []
    for name, path in (('init', osp.join(seed_dir,
                                         'init.pth')), ('warmup',
                                                        osp.join(seed_dir, 'pretrain', 'warmup',
                                                                 f'epoch_{warmup_epochs}.pth'))):
        if osp.isfile(path):
            cells.append(
                dict(
                    kind='checkpoint',
                    name=name,
                    pretrain_seed=seed,
                    metrics=dict(
                        sha256=weights_sha256(path), epoch=0 if name == 'init' else warmup_epochs)))
    return cells


def _probe_figures(cells: List[dict], seed: int, source: str) -> Dict[tuple, dict]:
    return {
        (c['fold'], c['readout'], c['fraction']): c['metrics']
        for c in cells
        if c['kind'] == 'probe' and c['pretrain_seed'] == seed and c.get('source') == source
    }


def _digests(cells: List[dict], seed: int, name: Optional[str] = None) -> Dict[str, dict]:
    return {
        c['name']: {
            b.get('iter'): b['digest']
            for b in c['metrics']['batches']
        }
        for c in cells if c['kind'] == 'digest' and c['pretrain_seed'] == seed and (
            name is None or c['name'] == name)
    }


def reproduction_lines(cells: List[dict],
                       earlier: List[dict],
                       warmup_source: str,
                       arms: List[str],
                       reference_arm: str = 'simclr') -> str:
    """One line per seed: did this record's init, warm-up and first batches reproduce
    ``earlier``'s (its ``reference_arm``'s continuation digests at the same iterations)?"""
    lines = []
    for seed in sorted({c['pretrain_seed'] for c in cells if c['kind'] != 'timing'}):
        parts = []
        for name in ('init', 'warmup'):
            ours = [
                c for c in cells
                if c['kind'] == 'checkpoint' and c['name'] == name and c['pretrain_seed'] == seed
            ]
            if ours:
                parts.append(f"{name} weights sha256 {ours[0]['metrics']['sha256'][:12]}…")
        for label, source in (('init', 'random'), ('warm-up', warmup_source)):
            ours, theirs = (_probe_figures(cells, seed,
                                           source), _probe_figures(earlier, seed, source))
            if ours and theirs:
                shared = set(ours) & set(theirs)
                same = bool(shared) and all(ours[k] == theirs[k] for k in shared)
                parts.append(f"{label} probe {'identical' if same else 'DIFFERENT'} "
                             f'({len(shared)} figures)')
        reference = _digests(earlier, seed, reference_arm).get(reference_arm, {})
        ours = _digests(cells, seed)
        for arm in arms:
            got = ours.get(arm, {})
            shared = sorted(set(got) & set(reference))
            if not got:
                continue
            if not shared:
                parts.append(f'{arm}: no batch at the iterations of the earlier record')
                continue
            same = all(got[i] == reference[i] for i in shared)
            parts.append(f"{arm} batches {'byte-identical to' if same else 'NOT those of'} "
                         f"the earlier {reference_arm}'s at iterations "
                         f"{', '.join(map(str, shared))}")
        if parts:
            lines.append(f'- seed {seed}: ' + '; '.join(parts))
    return '\n'.join(lines) + '\n'
