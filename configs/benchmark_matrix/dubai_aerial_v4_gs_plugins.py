# Benchmark v4: does gradient-guided sampling help MoCo v2, BYOL or DenseCL here? Paired as
# benchmark v2 part 2: per seed part 2's init (its GraSS config's model, bit for bit: the random
# probe is compared figure for figure), then per family one shared warm-up (the GS twin's config
# before its switch, 3 of 30 epochs, from that init's backbone) and the base method and its GS
# twin continued from it with the same data order. Gate first (dubai_aerial_v4_gate.py).
#   python tools/benchmarks/run_paired.py configs/benchmark_matrix/dubai_aerial_v4_gate.py
#   python tools/benchmarks/run_paired.py configs/benchmark_matrix/dubai_aerial_v4_gs_plugins.py \
#       --seeds 0
#   python tools/benchmarks/collect_paired.py \
#       configs/benchmark_matrix/dubai_aerial_v4_gs_plugins.py
_base_ = ['./dubai_aerial_v2_paired.py']
work_dir = 'work_dirs/benchmark/dubai_aerial_v4_gs_plugins'
record_dir = 'docs/results/dubai_aerial_v4_gs_plugins'
init_config = _base_.warmup.config  # part 2's init: the GraSS config's model
warmup = None
_cfg = 'configs/{}/{}_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
warmups = dict(
    mocov2_warmup=dict(config=_cfg.format('gs', 'gs-mocov2'), epochs=3),
    byol_warmup=dict(config=_cfg.format('gs', 'gs-byol'), epochs=3),
    densecl_warmup=dict(config=_cfg.format('gs', 'gs-densecl'), epochs=3),
)
arms = dict(
    _delete_=True,
    mocov2=dict(config=_cfg.format('mocov2', 'mocov2'), from_='warmup', warmup='mocov2_warmup'),
    gs_mocov2=dict(config=_cfg.format('gs', 'gs-mocov2'), from_='warmup', warmup='mocov2_warmup'),
    byol=dict(config=_cfg.format('byol', 'byol'), from_='warmup', warmup='byol_warmup'),
    gs_byol=dict(config=_cfg.format('gs', 'gs-byol'), from_='warmup', warmup='byol_warmup'),
    # GS-BYOL's random-box control (added after the gate, from seed 0's warm-up in its work dir)
    gs_byol_random_boxes=dict(
        config=_cfg.format('gs', 'gs-byol-random-boxes'), from_='warmup', warmup='byol_warmup'),
    densecl=dict(config=_cfg.format('densecl', 'densecl'), from_='warmup', warmup='densecl_warmup'),
    gs_densecl=dict(
        config=_cfg.format('gs', 'gs-densecl'), from_='warmup', warmup='densecl_warmup'),
)
# Part 2's random init, SimCLR, GraSS and random-box rows stand beside these (read from its
# record, not copied); its warm-up is SimCLR's, so no batches are compared with it.
compare_with = dict(
    cells='docs/results/dubai_aerial_v2_paired/cells.json',
    methods=['random', 'simclr', 'grass', 'grass-random-boxes'],
    same_warmup=False)
comparisons = [
    ('gs-mocov2', 'mocov2'),
    ('gs-byol', 'byol'),
    ('gs-byol', 'gs-byol-random-boxes'),  # the gradient's place over cropping alone
    ('gs-byol-random-boxes', 'byol'),  # cropping alone
    ('gs-densecl', 'densecl'),
    ('mocov2', 'random'),
    ('byol', 'random'),
    ('densecl', 'random'),
    ('grass', 'simclr'),  # part 2's, for the table
]
gate = dict(seed=0, pairs=[('mocov2', 'random'), ('byol', 'random'), ('densecl', 'random')])
cost_pairs = [('gs_mocov2', 'mocov2'), ('gs_byol', 'byol'), ('gs_byol_random_boxes', 'byol'),
              ('gs_densecl', 'densecl')]
purity = dict(arms=['gs_mocov2', 'gs_byol', 'gs_byol_random_boxes', 'gs_densecl'])
segmentation = None
