# FCN on a dilated ResNet-18 with the *plain* stem (conv1/bn1), the stem an mmpretrain ResNet
# has. mmseg's own r18-d8 bases use ResNetV1c (deep stem), which would leave the stem random.
# The pretrained backbone goes in with one key:
#   model.backbone.init_cfg.checkpoint=<backbone.pth>  (tools/model_converters/extract_backbone.py)
# or a full training checkpoint with model.backbone.init_cfg.prefix=backbone.
# model.backbone.init_cfg=None trains from random initialisation.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='work_dirs/pretrain/backbone.pth')),
    decode_head=dict(
        type='FCNHead',
        in_channels=512,
        in_index=3,
        channels=128,
        num_convs=2,
        concat_input=True,
        dropout_ratio=0.1,
        num_classes=6,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
