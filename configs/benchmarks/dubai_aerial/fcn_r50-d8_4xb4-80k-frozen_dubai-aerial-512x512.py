# fcn_r50-d8_4xb4-80k_dubai-aerial-512x512.py with the pretrained backbone frozen (linear-probe-like
# protocol): stem and all four
# stages keep their pretrained weights, BN statistics included; only the decode heads train.
_base_ = './fcn_r50-d8_4xb4-80k_dubai-aerial-512x512.py'
model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
