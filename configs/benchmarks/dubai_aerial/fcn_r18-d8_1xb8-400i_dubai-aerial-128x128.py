# FCN on the pretrained plain-stem ResNet-18, Dubai aerial imagery (6 classes), CPU-sized.
_base_ = [
    '../../_base_/seg/models/fcn_r18-d8_plain.py',
    '../../_base_/seg/datasets/dubai_aerial.py',
    '../../_base_/seg/schedules/sgd_poly_400i.py',
    '../../_base_/seg/default_runtime.py',
]
# CPU-sized: no auxiliary head.
model = dict(
    data_preprocessor=dict(size=(128, 128)), decode_head=dict(num_classes=6), auxiliary_head=None)
