# fcn_r18-d8_1xb8-1200i_dubai-aerial-loto-128x128.py with the pretrained backbone frozen:
# stem and all four stages keep their pretrained weights, BN statistics included.
_base_ = './fcn_r18-d8_1xb8-1200i_dubai-aerial-loto-128x128.py'
model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
