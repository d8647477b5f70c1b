_base_ = [
    '../_base_/models/grass_resnet50.py',
    '../_base_/datasets/rs_pretrain_224.py',
    '../_base_/schedules/lars_coslr_350e.py',
    '../_base_/default_runtime.py',
    '../_base_/probes/potsdam_probe.py',
]
# Unlabelled patches cut from the potsdam *training* tiles only (docs/en/user_guides/data.md).
train_dataloader = dict(dataset=dict(data_root='data/potsdam/pretrain_patches/'))
# Instance-discrimination warm-up for the first 10 % of epochs (the length of the lr warm-up),
# then gradient-guided sampling. The authors do not publish a length;
# docs/en/advanced_guides/method.md, "The stage
# switch".
custom_hooks = [
    dict(type='GraSSStageHook', warmup_epochs=35),
    dict(type='GraSSVisualizationHook', interval=2000),
    _base_.dense_probe,
]
