# deeplabv3plus_r50-d8_plain.py at ResNet-18 widths (as mmseg's deeplabv3plus_r18-d8 configs).
_base_ = './deeplabv3plus_r50-d8_plain.py'
model = dict(
    backbone=dict(depth=18),
    decode_head=dict(c1_in_channels=64, c1_channels=12, in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
