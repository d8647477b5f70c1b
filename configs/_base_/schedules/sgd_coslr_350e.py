# MoCo v2 / DenseCL: SGD 0.03 for 256 images (mmpretrain's imagenet_sgd_coslr_200e), with the
# GraSS 350-epoch schedule's shape (10 % linear warm-up, cosine) decaying to 1 % of the peak.
_base_ = ['./lars_coslr_350e.py']
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
        end=35,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=315,
        eta_min=3e-4,
        by_epoch=True,
        begin=35,
        end=350,
        convert_to_iter_based=True),
]
