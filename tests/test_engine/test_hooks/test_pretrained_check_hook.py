"""PretrainedCheckHook on real mmseg EncoderDecoder Runners (4 iterations, synthetic data)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.models import ResNet

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', 'benchmarks', 'synthetic',
    'fcn_r18-d8_1xb8-400i_synthetic-128x128.py')


def seg_cfg(synthetic_root, work_dir, checkpoint, **backbone):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].dataset.data_root = synthetic_root
        cfg[name].num_workers, cfg[name].persistent_workers = 0, False
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg.param_scheduler[0].end = 2
    cfg.default_hooks.checkpoint.interval = 2
    cfg.model.backbone.update(backbone)
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    return cfg


@pytest.fixture(scope='module')
def mmpretrain_backbone(tmp_path_factory):
    """A plain-stem mmpretrain ResNet-18 saved as a full checkpoint (backbone. prefix)."""
    torch.manual_seed(0)
    net = ResNet(depth=18)
    path = tmp_path_factory.mktemp('ckpt') / 'pretrain.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in net.state_dict().items()}}, path)
    return str(path), net.state_dict()


def test_full_checkpoint_with_prefix_initialises_every_tensor(synthetic_root, tmp_path,
                                                              mmpretrain_backbone):
    path, state = mmpretrain_backbone
    cfg = seg_cfg(synthetic_root, tmp_path, path)
    cfg.model.backbone.init_cfg.prefix = 'backbone.'
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    loaded = runner.model.backbone.state_dict()
    # Every tensor of the backbone is the checkpoint's (a prefix not stripped, or a stem left
    # random, fails here); the stand-in checkpoint is random, so equality cannot be a default.
    assert set(loaded) == set(state)
    assert all(torch.equal(loaded[k], state[k])
               for k in state), [k for k in state if not torch.equal(loaded[k], state[k])][:3]
    runner.train()  # and the hook lets it train
    assert 0 <= runner.message_hub.get_scalar('val/mIoU').current() <= 100
    # What the GPU acceptance reads: the tensors checked and the validation, as scalars.
    from grass_mm.acceptance import finetune_check
    detail = finetune_check(str(tmp_path))['detail']
    assert detail.startswith(f'all {len(state)} backbone tensors equal the export; mIoU ')


def test_deep_stem_backbone_fed_a_plain_checkpoint_fails(synthetic_root, tmp_path,
                                                         mmpretrain_backbone):
    path, _ = mmpretrain_backbone
    cfg = seg_cfg(synthetic_root, tmp_path, path, type='ResNetV1c')
    cfg.model.backbone.init_cfg.prefix = 'backbone.'
    with pytest.raises(RuntimeError, match='stem.0.weight missing from the checkpoint'):
        Runner.from_cfg(cfg).train()


def test_wrong_depth_fails(synthetic_root, tmp_path, mmpretrain_backbone):
    path, _ = mmpretrain_backbone
    cfg = seg_cfg(synthetic_root, tmp_path, path, depth=34)
    cfg.model.backbone.init_cfg.prefix = 'backbone.'
    with pytest.raises(RuntimeError, match='layer1.2.conv1.weight missing'):
        Runner.from_cfg(cfg).train()


def test_real_training_checkpoint_loads_through_init_cfg_with_prefix(synthetic_root, tmp_path,
                                                                     grass_checkpoint):
    """init_cfg=Pretrained on a full mmengine checkpoint (needs the unpickle fallback)."""
    cfg = seg_cfg(synthetic_root, tmp_path, grass_checkpoint)
    cfg.model.backbone.init_cfg.prefix = 'backbone.'
    runner = Runner.from_cfg(cfg)
    runner.train()  # PretrainedCheckHook raises unless every tensor equals the checkpoint's
    trained = torch.load(grass_checkpoint, weights_only=False)['state_dict']
    assert any(k.startswith('backbone.layer4') for k in trained)


def test_frozen_protocol_keeps_every_backbone_tensor_after_training(synthetic_root, tmp_path,
                                                                    mmpretrain_backbone):
    from grass_mm.engine.hooks import compare_with_checkpoint
    path, _ = mmpretrain_backbone
    cfg = seg_cfg(synthetic_root, tmp_path, path, frozen_stages=4, norm_eval=True)
    cfg.model.backbone.init_cfg.prefix = 'backbone.'
    runner = Runner.from_cfg(cfg)
    head_before = runner.model.decode_head.conv_seg.weight.detach().clone()
    runner.train()
    assert compare_with_checkpoint(runner.model.backbone.state_dict(), path, 'backbone.') == []
    assert not torch.equal(head_before, runner.model.decode_head.conv_seg.weight)  # heads train
