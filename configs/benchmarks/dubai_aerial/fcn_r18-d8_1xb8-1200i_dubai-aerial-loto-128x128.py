# Benchmark v2, CPU: FCN on the plain-stem ResNet-18, full fine-tuning, Dubai aerial tiles under
# the leave-one-tile-out protocol (5 classes, one resize factor; fold: test tile 7 by default).
# The pretrained backbone goes in with model.backbone.init_cfg.checkpoint=<backbone.pth>;
# model.backbone.init_cfg=None is the random-init arm (zero_init_residual=True, the rule every
# pretraining config follows too; tests/test_configs.py checks it).
_base_ = [
    '../../_base_/seg/models/fcn_r18-d8_plain.py',
    '../../_base_/seg/datasets/dubai_aerial_loto.py',
    '../../_base_/seg/schedules/sgd_const_1200i.py',
    '../../_base_/seg/default_runtime.py',
]
# CPU-sized: no auxiliary head. DeepLabV3+ is not in the CPU preset: its ASPP dilations
# 12/24/36 sample mostly padding on the 16x16 stride-8 maps of 128 px crops.
model = dict(
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(zero_init_residual=True),
    decode_head=dict(num_classes=5),
    auxiliary_head=None)
