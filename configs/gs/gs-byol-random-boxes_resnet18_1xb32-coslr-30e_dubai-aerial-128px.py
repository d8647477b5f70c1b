# The random-box control of gs-byol_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py: the same
# warm-up, stage switch, guide pass and crop path, but each GS step's box sizes are shuffled
# across views and placed at random (RandomBoxSampler). GS-BYOL minus this control is what the
# gradient's choice of *place* adds over cropping to boxes of the same sizes (benchmark v4).
_base_ = ['./gs-byol_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
model = dict(sampler=dict(type='RandomBoxSampler'))
