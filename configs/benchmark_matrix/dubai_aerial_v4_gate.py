# Benchmark v4's gate: the three base methods (and their warm-ups) at pretraining seed 0, in v4's
# own work dir, so that the full matrix continues from them. Collect with the v4 matrix; its
# record's "Gate" section says which families pass.
#   python tools/benchmarks/run_paired.py configs/benchmark_matrix/dubai_aerial_v4_gate.py
_base_ = ['./dubai_aerial_v4_gs_plugins.py']
pretrain_seeds = [0]
arms = dict(
    _delete_=True,
    mocov2=_base_.arms.mocov2,
    byol=_base_.arms.byol,
    densecl=_base_.arms.densecl,
)
purity = None
