# CPU fine-tuning schedule of benchmark v2: sgd_poly_400i.py's SGD (lr 0.01), a 100-iteration
# linear warm-up, constant until iteration 900, then linear decay to 0 by 1200. The constant
# phase is there so the training loss can flatten before the learning rate decays (v1 decayed
# from the first step and stopped at loss ~1.0). Validation every 300 iterations gives the curve.
_base_ = './sgd_poly_400i.py'
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=100, by_epoch=False),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=900, end=1200, by_epoch=False),
]
train_cfg = dict(max_iters=1200, val_interval=300)
default_hooks = dict(checkpoint=dict(interval=1200))
