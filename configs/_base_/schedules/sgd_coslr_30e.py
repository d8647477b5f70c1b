# MoCo v2 / DenseCL on the short CPU schedule: SGD 0.03 (sgd_coslr_350e.py) with
# lars_coslr_30e.py's warm-up and cosine, decaying to 1 % of this peak.
_base_ = ['./lars_coslr_30e.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = _base_.param_scheduler
param_scheduler[1].eta_min = 3e-4  # the cosine's floor
