# The demo's fine-tuning: FCN on the pretrained plain-stem ResNet-18, SYNTHETIC aerial set.
_base_ = [
    '../../_base_/seg/models/fcn_r18-d8_plain.py',
    '../../_base_/seg/datasets/synthetic_aerial.py',
    '../../_base_/seg/schedules/sgd_poly_400i.py',
    '../../_base_/seg/default_runtime.py',
]
# CPU-sized: no auxiliary head.
model = dict(
    data_preprocessor=dict(size=(128, 128)), decode_head=dict(num_classes=5), auxiliary_head=None)
