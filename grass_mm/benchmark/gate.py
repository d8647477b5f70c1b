"""The gate of a matrix that adds method families: does each base method learn something the
read-outs see, before its GS twin is worth scaling?

Criterion, at the gate's pretraining seed: the base method's paired fold differences against
random init at the last probe epoch, with their 95 % bootstrap interval over the folds. A family
passes when that interval lies above 0 for at least one read-out (linear at 100 % or 10 %, or
k-NN); a family that fails is reported and not scaled, because GS on a method that learns nothing
here cannot be read. With one seed this says nothing about seed-to-seed spread; it only rules
out a base that the read-outs cannot tell from its own init.
"""
from typing import Dict, List, Sequence


def gate_results(rows: List[dict], pairs: Sequence[Sequence[str]]) -> Dict[str, dict]:
    """Base method -> ``passed`` and the read-outs whose interval lies above 0, from
    :func:`grass_mm.benchmark.tables.comparison_rows` rows of the ``(base, 'random')`` pairs."""
    out = {}
    for base, ref in pairs:
        mine = [r for r in rows if r['a'] == base and r['b'] == ref]
        above = [r['readout'] for r in mine if r['ci'][0] > 0]
        out[base] = dict(passed=bool(above), above=above, measured=bool(mine))
    return out


def gate_table(rows: List[dict], pairs: Sequence[Sequence[str]]) -> str:
    """Per pair and read-out: the mean difference, folds up, the folds bootstrap, and per pair
    whether it passed."""
    results = gate_results(rows, pairs)
    lines = [
        '| base − random | read-out | mean | folds > 0 | bootstrap 95 % (folds) | gate |',
        '|---|---|---|---|---|---|'
    ]
    for base, ref in pairs:
        for r in (r for r in rows if r['a'] == base and r['b'] == ref):
            lo, hi = r['ci']
            word = 'above 0' if lo > 0 else ('below 0' if hi < 0 else 'includes 0')
            lines.append(f"| {base} − {ref} | {r['readout']} | {r['mean']:+.2f} | "
                         f"{r['folds_up']}/{r['folds']} | {lo:+.2f} .. {hi:+.2f} | {word} |")
        res = results[base]
        verdict = ('not measured yet'
                   if not res['measured'] else f"**passed** ({', '.join(res['above'])})"
                   if res['passed'] else '**failed**: not scaled')
        lines.append(f'| {base} − {ref} | **family** | | | | {verdict} |')
    return '\n'.join(lines) + '\n'
