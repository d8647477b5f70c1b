# fcn on a pretrained plain-stem ResNet-50, dubai-aerial, full fine-tuning (mmseg's 80k schedule).
_base_ = [
    '../../_base_/seg/models/fcn_r50-d8_plain.py',
    '../../_base_/seg/datasets/dubai_aerial_512.py',
    'mmseg::_base_/schedules/schedule_80k.py',
    '../../_base_/seg/default_runtime.py',
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=6),
    auxiliary_head=dict(num_classes=6))
