# upernet_r50_plain.py at ResNet-18 widths (as mmseg's upernet_r18 configs).
_base_ = './upernet_r50_plain.py'
model = dict(
    backbone=dict(depth=18),
    decode_head=dict(in_channels=[64, 128, 256, 512]),
    auxiliary_head=dict(in_channels=256))
