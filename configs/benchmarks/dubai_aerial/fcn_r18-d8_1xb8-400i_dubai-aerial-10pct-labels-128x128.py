# fcn_r18-d8_1xb8-400i_dubai-aerial-128x128.py trained on 10 % of the training images, chosen
# reproducibly from the seed (change fraction/seed for other label fractions).
_base_ = ['./fcn_r18-d8_1xb8-400i_dubai-aerial-128x128.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LabelFraction',
        fraction=0.1,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
