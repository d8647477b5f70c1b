# Benchmark v2 part 2's gate, a budget with cheaper steps: the 30-epoch SimCLR CPU config with
# 96 px views instead of 128 px (docs/en/user_guides/benchmark.md, "Part 2: the gate").
_base_ = ['./simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py']
train_dataloader = _base_.train_dataloader
for source in train_dataloader.dataset.dataset.datasets:
    source.pipeline[1].transforms[0][0].scale = 96  # MultiView's RandomResizedCrop
