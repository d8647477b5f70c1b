"""``results.md`` of a paired benchmark, generated from its record (:mod:`.record`): the
summary, the gate, the paired differences, the curves, purity, the mmseg step, the reproduction
of an earlier record, the paired batches and the costs."""
import json
import os.path as osp
from typing import List

from mmengine.config import Config

from .costs import step_cost_table, timing_table
from .gate import gate_table
from .matrix import arm_warmup, warmups
from .mmseg_table import gs_table, segmentation_table
from .reproduce import digest_check, reproduction_lines
from .screen import screen_table
from .stats import MIN_SEEDS
from .tables import (COMPARISONS, comparison_rows, comparison_table, curve_table, plot_curves,
                     purity_table, seeds_needed_table, summary_table)


def earlier_cells(matrix: Config) -> List[dict]:
    """The probe and purity cells of ``matrix.compare_with.methods`` in the earlier record
    ``matrix.compare_with.cells`` (none without ``compare_with``)."""
    spec = matrix.get('compare_with')
    if not spec:
        return []
    with open(spec.cells) as f:
        earlier = json.load(f)
    return [
        c for c in earlier if c.get('method') in (*spec.methods, 'floor') or c['kind'] == 'digest'
    ]


def probe_description(matrix: Config) -> str:
    """What the probe read-outs are, for the record's first lines."""
    p = matrix.probe
    if p.get('dataset_config'):
        return (f'Stage-{max(p.stages)} linear probe and k-NN probe, fitted on the training split '
                f'and scored on the validation split of `{p.dataset_config}` (one held-out '
                'split: the "folds" column counts seeds).')
    return ('Stage-4 linear probe (100 % and 10 % of each fold\'s training images) and k-NN '
            'probe, 7 leave-one-tile-out folds.')


def segmentation_section(cells: List[dict], matrix: Config) -> List[str]:
    """The mmseg fine-tunings' heading, what they can show, the table and, where the matrix
    names ``gs_pairs``, the MMSeg-style table of each GS method against its base."""
    if not matrix.get('gs_pairs'):
        return [
            '\n## A real mmseg head (one fine-tuning per arm)\n',
            'One pretraining seed, one fold, one fine-tuning seed: no interval; a difference here '
            'is to be read against the probes\' seed-to-seed spread, not on its own.\n',
            segmentation_table(cells)
        ]
    return [
        '\n## mmseg fine-tuning\n',
        'Mean mIoU over pretraining seeds (each the mean over its fine-tuning seeds) and the '
        't-interval over the seed means (none for one seed); GS − base paired by seed.\n',
        gs_table({matrix.get('dataset', 'mIoU'): cells}, matrix.get('gs_pairs', [])), '\n',
        segmentation_table(cells)
    ]


def cost_section(cells: List[dict], matrix: Config) -> List[str]:
    """The GS twins' step cost against their bases' (``cost_pairs`` in the matrix)."""
    if not matrix.get('cost_pairs'):
        return []
    return [
        '\n## Step cost of each GS twin, measured in this run\n',
        "Median seconds of a logged training iteration (mmengine's `time`, data included) over "
        "every logged iteration of the arm's continuation (after the shared warm-up), and the "
        'ratio GS / base per seed (`grass_mm/benchmark/costs.py`).\n',
        step_cost_table(cells, [tuple(p) for p in matrix.cost_pairs])
    ]


def write_tables(cells: List[dict], matrix: Config, out: str, draws: int = 10000) -> str:
    """``results.md`` from the record: summary, paired differences, curve, purity, digests.

    With ``matrix.compare_with``, the earlier record's cells of the methods it names join the
    tables (not this record's ``cells.json``), and a section says whether this record's init,
    warm-up and first batches reproduced that record's.
    """
    epoch = max(matrix.probe_epochs)
    purity = matrix.get('purity') or {}
    earlier = earlier_cells(matrix)
    own = cells
    if earlier:
        mine = {(c['method'], c['pretrain_seed']) for c in own if c['kind'] == 'probe'}
        cells = own + [
            c for c in earlier
            if c['kind'] in ('probe', 'purity') and (c['method'], c['pretrain_seed']) not in mine
        ]
    seeds = sorted({c['pretrain_seed'] for c in cells if c['kind'] == 'probe'})
    rows = comparison_rows(cells, epoch, draws,
                           [tuple(c) for c in matrix.get('comparisons', COMPARISONS)])
    groups = {
        w:
        [a for a, s in matrix.arms.items() if s.from_ == 'warmup' and arm_warmup(matrix, a) == w]
        for w in warmups(matrix)
    }
    text = [
        f'# {osp.basename(out)}: generated from cells.json (do not edit)\n',
        f'Pretraining seeds in the record: {seeds}. {probe_description(matrix)}\n',
        f'## Epoch {epoch}: mean ± std over folds and seeds\n',
        summary_table(cells, epoch), f'\n## Paired differences at epoch {epoch}\n',
        'Per seed: the mean over folds. Bootstrap: resampling seeds, then folds within each '
        'drawn seed (10,000 draws); with few seeds its seed level cannot be wider than the range '
        'of the seed means. t: the Student-t interval over the seed means (seeds − 1 degrees '
        'of freedom), the one the verdict reads: **established** only when it excludes 0 with '
        f'at least {MIN_SEEDS} seeds; with fewer seeds no verdict is given. Dominant level: the '
        'larger of the between-seed variance of seed means and the within-seed fold variance / '
        'folds.\n',
        comparison_table(rows, seeds), '\n## Seeds needed\n',
        'Pretraining seeds for which a t-test over seed means at 95 % finds a true difference '
        'of the given size with 80 % power, if the seed means spread as measured here '
        '(noncentral t; the sd has itself only seeds − 1 degrees of freedom).\n',
        seeds_needed_table(rows), '\n## Curves (mean over seeds and folds)\n',
        curve_table(cells,
                    list(matrix.probe_epochs)), '\n![read-outs against epochs](curves.png)\n',
        f"\n## Sampling purity ({purity.get('split', 'held-out tile 7')})\n",
        purity_table(cells), *segmentation_section(cells, matrix), '\n## Paired batches\n',
        digest_check(own, groups), f"\n## Wall times ({matrix.get('machine', 'this machine')})\n",
        timing_table(own)
    ]
    if matrix.get('screen'):
        text[-4:-4] = [
            f"\n## Guides screened by purity ({purity.get('split', 'held-out tile 7')})\n",
            'Each guide\'s boxes against random boxes of the same size in the same views '
            f"(95 % bootstrap over views). Gate, at `{matrix.screen.gate_source}`: the "
            'interval lies above 0 at two of three seeds.\n',
            screen_table(own, matrix.screen.gate_source)
        ]
    if matrix.get('gate'):
        g = matrix.gate
        at = [c for c in cells if c.get('pretrain_seed') == g.seed]
        gate_rows = comparison_rows(at, epoch, draws, [tuple(p) for p in g.pairs])
        text[4:4] = [
            f'\n## Gate (pretraining seed {g.seed}, epoch {epoch})\n',
            'Does each base method learn something these read-outs see? Its paired fold '
            'differences against random init; a family passes when the 95 % bootstrap over the '
            'folds lies above 0 for at least one read-out, and only a family that passes is '
            'scaled to more seeds (`grass_mm/benchmark/gate.py`).\n',
            gate_table(gate_rows, [tuple(p) for p in g.pairs])
        ]
    if earlier:
        arms = [a for a, spec in matrix.arms.items() if spec.from_ == 'warmup']
        if not matrix.compare_with.get('same_warmup', True):
            arms = []  # other warm-ups: other augmentations, so no batches to compare
        arms += [matrix.screen.arm] if matrix.get('screen') else []
        first = next(iter(warmups(matrix)))  # the warm-up an earlier record is compared on
        text[-4:-4] = [
            '\n## Reproduced from the earlier record\n',
            f'Earlier record: `{matrix.compare_with.cells}` (methods '
            f"{', '.join(matrix.compare_with.methods)}). Its arms are this record's comparison "
            'only where the init, the warm-up and the first batches are the same.\n',
            reproduction_lines(own, earlier, f'{first}_ep{warmups(matrix)[first].epochs}', arms)
        ]
    text = '\n'.join(text + cost_section(own, matrix))
    with open(osp.join(out, 'results.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'comparisons.json'), 'w') as f:
        json.dump(rows, f, indent=1)
    plot_curves(cells, list(matrix.probe_epochs), osp.join(out, 'curves.png'))
    return text
