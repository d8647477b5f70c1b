# DIAGNOSTIC (reads labels, for box sizes only): the size-matched control of the `single`
# oracle. The single oracle's box sizes, shuffled across the views of a step and placed at
# random (SingleSizeRandomSampler). single minus this arm is whether purer crops help beyond
# smaller crops (link 1 of GraSS's claim).
_base_ = ['./grass-oracle-single_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
model = dict(sampler=dict(type='SingleSizeRandomSampler'))
