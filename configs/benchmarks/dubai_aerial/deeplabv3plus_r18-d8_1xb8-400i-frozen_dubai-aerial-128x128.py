# deeplabv3plus_r18-d8_1xb8-400i_dubai-aerial-128x128.py with the pretrained backbone frozen: stem
# and all
# four stages keep their pretrained weights, BN statistics included; only the decode head trains.
_base_ = './deeplabv3plus_r18-d8_1xb8-400i_dubai-aerial-128x128.py'
model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
