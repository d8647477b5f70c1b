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


def checkpoint_cells(seed_dir: str, seed: int, warmups: Dict[str, dict]) -> List[dict]:
    """``kind='checkpoint'`` cells: the digests of the seed's init and each warm-up's weights
    (``warmups``: name -> ``dict(epochs=)``)."""
    paths = [('init', osp.join(seed_dir, 'init.pth'), 0)]
    paths += [(name, osp.join(seed_dir, 'pretrain', name, f"epoch_{w['epochs']}.pth"), w['epochs'])
              for name, w in warmups.items()]
    return [
        dict(
            kind='checkpoint',
            name=name,
            pretrain_seed=seed,
            metrics=dict(sha256=weights_sha256(path), epoch=epoch)) for name, path, epoch in paths
        if osp.isfile(path)
    ]


def _probe_figures(cells: List[dict], seed: int, source: str) -> Dict[tuple, dict]:
    return {
        (c['fold'], c['readout'], c['fraction']): c['metrics']
        for c in cells
        if c['kind'] == 'probe' and c['pretrain_seed'] == seed and c.get('source') == source
    }


def _probe_comparison(label: str, ours: Dict[tuple, dict], theirs: Dict[tuple, dict]) -> str:
    """``init probe identical (21 figures)``, or per read-out how many figures moved and each
    metric's largest move: a linear fit that is not bit-reproducible should not read as
    another init."""
    shared = set(ours) & set(theirs)
    if shared and all(ours[key] == theirs[key] for key in shared):
        return f'{label} probe identical ({len(shared)} figures)'
    parts = []
    for readout in sorted({key[1] for key in shared}):
        keys = [key for key in shared if key[1] == readout]
        moved = [key for key in keys if ours[key] != theirs[key]]
        if not moved:
            parts.append(f'{readout} identical ({len(keys)})')
            continue
        gaps = {}  # metric -> its largest difference over the moved figures
        for key in moved:
            for metric in set(ours[key]) & set(theirs[key]):
                gap = abs(ours[key][metric] - theirs[key][metric])
                gaps[metric] = max(gaps.get(metric, 0.0), gap)
        parts.append(f'{readout} differs in {len(moved)} of {len(keys)} (' +
                     ', '.join(f'{m} by up to {g:.2f}' for m, g in sorted(gaps.items())) + ')')
    return f"{label} probe DIFFERENT: {'; '.join(parts) or 'no figure in common'}"


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
                parts.append(_probe_comparison(label, ours, theirs))
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


def digest_check(cells: List[dict], groups: Dict[str, List[str]]) -> str:
    """Whether the continuations of each warm-up (``groups``: warm-up -> its arms) saw
    byte-identical first batches, per seed.

    Digests are compared at the same iterations; an arm whose recorded batches start later (its
    run resumed after an interruption, which records the batches it resumed with) is named as
    not checked rather than counted as different.
    """
    lines = []
    for seed in sorted({c['pretrain_seed'] for c in cells if c['kind'] == 'digest'}):
        got = {
            c['name']: c['metrics']['batches']
            for c in cells if c['kind'] == 'digest' and c['pretrain_seed'] == seed
        }
        for warmup, arms in groups.items():
            present = [a for a in arms if a in got and got[a]]
            if not present:
                continue  # no continuation has started yet
            first = min(got[a][0].get('iter', 0) for a in present)
            checked = [a for a in present if got[a][0].get('iter', 0) == first]
            later = [a for a in present if a not in checked]
            count = min(len(got[a]) for a in checked)  # a resumed run may have recorded more
            same = len({tuple(b['digest'] for b in got[a][:count]) for a in checked}) == 1
            of = '' if len(groups) == 1 else f' ({warmup})'
            line = (f'- seed {seed}{of}: the first {count} batches (from iteration '
                    f"{first}) of {', '.join(checked)} are "
                    f"{'byte-identical' if same else 'NOT identical'} (sha256 of the first: "
                    f"{got[checked[0]][0]['digest'][:12]}…)")
            if later:
                line += (f"; {', '.join(later)} resumed after an interruption and recorded the "
                         f"batches from iteration {got[later[0]][0].get('iter')} on, so its "
                         'first batches are not in this record')
            lines.append(line)
    return '\n'.join(lines) + '\n'
