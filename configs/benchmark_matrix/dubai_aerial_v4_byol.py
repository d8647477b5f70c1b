# Benchmark v4 after its gate (docs/results/dubai_aerial_v4_gs_plugins/README.md): of the three
# families only BYOL's base beat random init at seed 0, so only BYOL, GS-BYOL and GS-BYOL's
# random-box control are scaled to three seeds, in v4's work dir, a seed's arms from one warm-up
# in one work dir (seed 0's BYOL was trained again beside GS-BYOL: a rebuilt warm-up is not the
# gate's network). MoCo v2 and DenseCL are reported from the gate and not scaled. Collect with
# the v4 matrix.
#   python tools/benchmarks/run_paired.py configs/benchmark_matrix/dubai_aerial_v4_byol.py \
#       --seeds 2
_base_ = ['./dubai_aerial_v4_gs_plugins.py']
warmups = dict(_delete_=True, byol_warmup=_base_.warmups.byol_warmup)
arms = dict(
    _delete_=True,
    byol=_base_.arms.byol,
    gs_byol=_base_.arms.gs_byol,
    gs_byol_random_boxes=_base_.arms.gs_byol_random_boxes)
purity = dict(arms=['gs_byol', 'gs_byol_random_boxes'])
