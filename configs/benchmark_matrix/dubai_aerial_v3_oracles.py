# Benchmark v3: why gradient-guided sampling does not help here. Oracle samplers that place
# boxes by the labels (DIAGNOSTICS: they read the labels of tiles that are also probe folds, so
# they bound what a guide could give; they are not a method), paired with benchmark v2 part 2's
# arms: per seed the same init and shared warm-up (rerun here and checked bit for bit against
# part 2's record), then continuations to epoch 30 with the same data order.
#   python tools/benchmarks/run_paired.py configs/benchmark_matrix/dubai_aerial_v3_oracles.py \
#       --seeds 0
#   python tools/benchmarks/collect_paired.py configs/benchmark_matrix/dubai_aerial_v3_oracles.py
_base_ = ['./dubai_aerial_v2_paired.py']
work_dir = 'work_dirs/benchmark/dubai_aerial_v3_oracles'
record_dir = 'docs/results/dubai_aerial_v3_oracles'
_oracles = 'configs/grass/grass-oracle-{}_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
arms = dict(
    _delete_=True,
    oracle_place=dict(config=_oracles.format('place'), from_='warmup'),
    oracle_single=dict(config=_oracles.format('single'), from_='warmup'),
    oracle_single_random=dict(config=_oracles.format('single-random'), from_='warmup'),
)
# Part 2's arms are the comparison (their cells are read from its record, not copied).
compare_with = dict(
    cells='docs/results/dubai_aerial_v2_paired/cells.json',
    methods=['random', 'simclr', 'grass', 'grass-random-boxes'])
comparisons = [
    ('oracle-single', 'oracle-single-random'),  # link 1: purer crops at the same sizes
    ('oracle-place', 'grass-random-boxes'),  # a perfect place at GS's sizes
    ('grass', 'oracle-place'),  # what GraSS's guide leaves on the table
    ('oracle-single', 'simclr'),  # single-object crops against no cropping
    ('oracle-single-random', 'simclr'),  # smaller crops alone
    ('oracle-place', 'simclr'),
]
purity = dict(arms=['oracle_place', 'oracle_single', 'oracle_single_random'])
segmentation = None
# Candidate guides screened by purity on each seed's warm-up and GraSS epoch-30 checkpoints
# (GraSS continued from the shared warm-up as in part 2, not probed; sampling_purity.py --guides
# into seed<N>/guides/<source>/); a guide earns a pretraining arm only if it passes the gate at
# gate_source.
screen = dict(
    arm='grass',
    config=_base_.warmup.config,  # the GraSS config: its guide loss and sampler
    guides=[
        'gradcam', 'gradcam_relu', 'gradcam_neg', 'gradcam_stage3', 'input_gradient', 'activation'
    ],
    thresholds=[0.5, 0.6, 0.7, 0.8, 0.9],
    sources=['warmup_ep3', 'grass_ep30'],
    gate_source='grass_ep30')
