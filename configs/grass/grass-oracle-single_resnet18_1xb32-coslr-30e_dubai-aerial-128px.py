# DIAGNOSTIC, not a method: it reads the Dubai tiles' labels during pretraining. The `single`
# oracle: per view, the largest box of the GS box's aspect ratio whose best placement is at
# least 90 % one class (SingleOracleSampler), placed there. Its size-matched control is
# grass-oracle-single-random_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py.
_base_ = ['./grass-oracle-place_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
model = dict(
    sampler=dict(
        _delete_=True,
        type='SingleOracleSampler',
        purity=0.9,
        shrink=0.9,
        min_size=0.125,
        threshold_ratio=0.5,
        crop_interpolation='nearest'))
