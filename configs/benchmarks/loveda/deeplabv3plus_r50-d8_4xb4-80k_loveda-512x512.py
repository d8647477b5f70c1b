# deeplabv3plus on a pretrained plain-stem ResNet-50, loveda, full fine-tuning (mmseg's 80k
# schedule).
_base_ = [
    '../../_base_/seg/models/deeplabv3plus_r50-d8_plain.py',
    'mmseg::_base_/datasets/loveda.py',
    'mmseg::_base_/schedules/schedule_80k.py',
    '../../_base_/seg/default_runtime.py',
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=7),
    auxiliary_head=dict(num_classes=7))
