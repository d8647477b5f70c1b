# MoCo v2 / DenseCL: SGD 0.03 for 256 images (mmpretrain's imagenet_sgd_coslr_200e), with the
# GraSS 350-epoch schedule's warm-up and cosine (lars_coslr_350e.py), decaying to 1 % of the peak.
_base_ = ['./lars_coslr_350e.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = _base_.param_scheduler
param_scheduler[1].eta_min = 3e-4  # the cosine's floor
