# MoCo v2 baseline (mmpretrain's MoCo) for grass_resnet50_1xb256-coslr-350e_potsdam.py:
# same data, augmentations, backbone, batch and epochs; model and optimiser from
# ../_base_/models/contrastive_baselines_resnet50.py.
_base_ = [
    '../grass/grass_resnet50_1xb256-coslr-350e_potsdam.py',
    '../_base_/models/contrastive_baselines_resnet50.py',
]
model = {{_base_.mocov2_model}}
optim_wrapper = {{_base_.sgd_optim_wrapper}}
param_scheduler = {{_base_.sgd_param_scheduler}}
custom_hooks = []
