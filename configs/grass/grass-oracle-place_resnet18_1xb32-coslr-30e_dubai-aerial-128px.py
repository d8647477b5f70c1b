# DIAGNOSTIC, not a method: it reads the Dubai tiles' labels during pretraining. The `place`
# oracle of grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py: each view's GS box size,
# moved to where the labels make it purest (PlaceOracleSampler). GraSS minus this arm is what a
# perfect guide would add at GS's box sizes. The views are those of the GraSS config exactly
# (same draws); each view also carries its label map, cut and flipped with it
# (LoadViewLabel, LabelledRandomResizedCrop, LabelledMultiView). A view of the unlabelled scenes
# is cropped as the random control would: its GS box size at a random place.
_base_ = ['./grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
model = dict(sampler=dict(type='PlaceOracleSampler'))
random_resized_crop = dict(_base_.random_resized_crop, type='LabelledRandomResizedCrop')
view_pipeline = [
    random_resized_crop, _base_.random_flip, _base_.color_jitter, _base_.random_grayscale,
    _base_.gaussian_blur
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # Dubai's colour-coded masks beside the images; class 5 ('unlabeled') is ignored, as in
    # the v2 probes and the purity tool.
    dict(
        type='LoadViewLabel',
        img_dir='images',
        label_dir='masks',
        decode='dubai_rgb',
        ignore_labels=[5]),
    dict(type='LabelledMultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs', algorithm_keys=['view_labels'])
]
train_dataloader = _base_.train_dataloader
for source in train_dataloader.dataset.dataset.datasets:
    source.pipeline = train_pipeline
