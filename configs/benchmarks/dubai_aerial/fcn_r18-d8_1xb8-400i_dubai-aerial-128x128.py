# FCN on the pretrained plain-stem ResNet-18, Dubai aerial imagery (6 classes), CPU-sized.
_base_ = [
    '../../_base_/models/fcn_r18-d8_plain.py',
    '../../_base_/datasets/dubai_aerial_seg.py',
    '../../_base_/schedules/sgd_poly_400i.py',
    '../../_base_/seg_runtime.py',
]
# CPU-sized: no auxiliary head.
model = dict(
    data_preprocessor=dict(size=(128, 128)), decode_head=dict(num_classes=6), auxiliary_head=None)
