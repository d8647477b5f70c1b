# BYOL at ResNet-18 (the CPU-sized configs): the ResNet-50 model with a 512-channel last stage.
_base_ = ['./byol_resnet50.py']
model = dict(backbone=dict(depth=18), neck=dict(in_channels=512))
