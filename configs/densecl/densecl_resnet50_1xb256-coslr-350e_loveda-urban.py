# DenseCL baseline (mmpretrain's densecl) for grass_resnet50_1xb256-coslr-350e_loveda-urban.py:
# same data, augmentations, backbone, batch and epochs; model and optimiser from
# ../_base_/models/contrastive_baselines_resnet50.py.
_base_ = [
    '../grass/grass_resnet50_1xb256-coslr-350e_loveda-urban.py',
    '../_base_/models/contrastive_baselines_resnet50.py',
]
model = {{_base_.densecl_model}}
optim_wrapper = {{_base_.sgd_optim_wrapper}}
# The same warm-up and cosine shape, decaying to 1 % of this peak.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.125, by_epoch=True, begin=0, end=35,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=315, eta_min=3e-4, by_epoch=True, begin=35,
         end=350, convert_to_iter_based=True),
]
find_unused_parameters = True
custom_hooks = []
