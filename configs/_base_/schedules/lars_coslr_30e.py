# Short CPU schedule: the reference LARS recipe scaled to small batches (lr 0.3 for a batch of
# 16-32, SimCLR's square-root rule), 10 % linear warm-up, cosine to 1 % of the peak.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=0.3, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))
max_epochs = 30
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.125,
        by_epoch=True,
        begin=0,
        end=3,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=27,
        eta_min=0.003,
        by_epoch=True,
        begin=3,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
