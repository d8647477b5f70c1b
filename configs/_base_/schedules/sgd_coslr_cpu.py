# sgd_coslr_350e.py on the short CPU schedule (lars_coslr_cpu.py's shape), decaying to 1 % of
# the peak.
_base_ = ['./lars_coslr_cpu.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.125,
        by_epoch=True,
        begin=0,
        end=3,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=27,
        eta_min=3e-4,
        by_epoch=True,
        begin=3,
        end=30,
        convert_to_iter_based=True),
]
