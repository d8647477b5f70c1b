# SimCLR on the Dubai CPU data for 90 epochs (720 steps): the budget of Benchmark v2 part 2's gate
# (docs/en/user_guides/benchmark.md). Same data, views, optimiser and learning-rate rule as the
# 30-epoch
# config; the warm-up stays 10 % of the schedule and the cosine runs to its end.
_base_ = ['./simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
max_epochs = 90
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.125,
        by_epoch=True,
        begin=0,
        end=9,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=81,
        eta_min=0.003,
        by_epoch=True,
        begin=9,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=15, max_keep_ckpts=10))
