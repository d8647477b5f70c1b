# The random-box control of grass_resnet50_1xb256-coslr-350e_loveda-rural.py: the same warm-up,
# stage switch, guide pass and crop path, but each GS step's box sizes are shuffled across views
# and placed at random (RandomBoxSampler). GraSS minus this control is what the gradient's
# choice of *place* adds over cropping to boxes of the same sizes.
_base_ = ['./grass_resnet50_1xb256-coslr-350e_loveda-rural.py']
model = dict(sampler=dict(type='RandomBoxSampler'))
