# mmseg's deeplabv3plus r50-d8 base with the *plain-stem* ResNet that an mmpretrain checkpoint has.
# mmseg's own base uses ResNetV1c (deep stem): fed our backbone, its stem would stay random.
# The pretrained backbone goes in with one key:
#   model.backbone.init_cfg.checkpoint=<backbone.pth>  (tools/model_converters/extract_backbone.py)
# or a full training checkpoint with model.backbone.init_cfg.prefix=backbone.;
# model.backbone.init_cfg=None trains from random initialisation.
_base_ = 'mmseg::_base_/models/deeplabv3plus_r50-d8.py'
model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',
        init_cfg=dict(type='Pretrained', checkpoint='work_dirs/pretrain/backbone.pth')))
