# The authors' schedule: LARS (momentum 0.9, weight decay 1e-6, no decay or LARS scaling on BN),
# lr rising linearly 0.6 -> 4.8 over the first 10 % of epochs, then a cosine down to 0.0048.
# The authors use cosine *with warm restarts*; the number of restarts is not published, so a
# single cosine period is used. The lr schedule runs across the GraSS stage switch unchanged.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=4.8, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))
max_epochs = 350
warmup_epochs = 35
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.125,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=0.0048,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
