"""Run under torchrun with 2 CPU processes (tests/test_tools/test_tools.py does): one GS step of a
real GraSS model on each rank, printing how many negatives each anchor was contrasted with in
the guide pass and in the training pass. Gathered across ranks: 2 * global batch - 2."""
import os.path as osp
import sys

import torch
import torch.distributed as dist

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmengine.registry import DefaultScope  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402

import grass_mm  # noqa: F401,E402

dist.init_process_group('gloo')
rank = dist.get_rank()
torch.manual_seed(rank)
with DefaultScope.overwrite_default_scope('mmpretrain'):
    model = MODELS.build(
        dict(
            type='GraSS',
            stage='gs',
            backbone=dict(type='ResNet', depth=18),
            neck=dict(
                type='NonLinearNeck',
                in_channels=512,
                hid_channels=64,
                out_channels=32,
                num_layers=2,
                with_avg_pool=True,
                norm_cfg=dict(type='BN1d')),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.5)))
seen = []
head_loss = model.head.loss
model.head.loss = lambda pos, neg: (seen.append(neg.size(1)), head_loss(pos, neg))[1]
views = [torch.randn(2, 3, 64, 64) for _ in range(2)]  # 2 images per rank
model.loss(views, None)['loss'].backward()
print(f'rank {rank}: negatives per anchor {seen}', flush=True)
dist.destroy_process_group()
