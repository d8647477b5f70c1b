"""CheckpointMatchHook: a load_from/resume checkpoint of another model is refused, named."""
import os
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests.helpers import REPO, tiny_grass_cfg

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)

SEG_SYNTHETIC = osp.join(REPO, 'configs', 'benchmarks', 'synthetic',
                         'fcn_r18-d8_1xb8-400i_synthetic-128x128.py')


@pytest.mark.parametrize(
    'change, match',
    [
        (dict(depth=34), r'missing backbone\.layer1\.2\.conv1\.weight'),  # wrong depth
        (dict(type='ResNetV1c'), r'missing backbone\.stem\.0\.conv\.weight'),  # wrong keys
    ])
def test_mismatched_checkpoint_is_refused_before_training(synthetic_root, grass_checkpoint,
                                                          tmp_path, change, match):
    cfg = tiny_grass_cfg(synthetic_root, str(tmp_path), max_epochs=1)
    cfg.model.backbone.update(change)
    cfg.load_from = grass_checkpoint
    cfg.experiment_name = 'mismatch'
    with pytest.raises(
            ValueError,
            match=f'checkpoint {grass_checkpoint} does not match the '
            f'model \\(GraSS\\): .*{match}'):
        Runner.from_cfg(cfg).train()
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.pth')]
    assert osp.isfile(grass_checkpoint)  # the user's file is untouched


def test_resume_from_a_checkpoint_of_another_model_is_refused(synthetic_root, grass_checkpoint,
                                                              tmp_path):
    cfg = Config.fromfile(SEG_SYNTHETIC)
    cfg.work_dir = str(tmp_path)
    cfg.model.backbone.init_cfg = None
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = synthetic_root
        loader.num_workers, loader.persistent_workers = 0, False
    cfg.resume, cfg.load_from = True, grass_checkpoint  # a pretraining checkpoint
    with pytest.raises(ValueError, match=r'does not match the model \(EncoderDecoder\)'):
        Runner.from_cfg(cfg).train()


def test_resume_without_load_from_names_the_work_dirs_checkpoint(synthetic_root, grass_checkpoint,
                                                                 tmp_path):
    cfg = tiny_grass_cfg(synthetic_root, str(tmp_path), max_epochs=2)
    cfg.model.backbone.depth = 34
    cfg.resume, cfg.experiment_name = True, 'resume_mismatch'
    shutil.copy(grass_checkpoint, tmp_path / 'epoch_1.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    with pytest.raises(ValueError, match=f'checkpoint {tmp_path / "epoch_1.pth"} does not match'):
        Runner.from_cfg(cfg).train()


def test_a_matching_checkpoint_loads(synthetic_root, grass_checkpoint, tmp_path):
    """The hook lets a matching checkpoint through and the run starts from its weights: at
    learning rate 0 the trained convolutions are exactly the checkpoint's (a hook that dropped
    or reinitialised them, or a load_from that was ignored, fails this)."""
    cfg = tiny_grass_cfg(synthetic_root, str(tmp_path), max_epochs=1)
    cfg.load_from, cfg.experiment_name = grass_checkpoint, 'match'
    cfg.optim_wrapper.optimizer.lr = 0.0
    cfg.param_scheduler = []
    Runner.from_cfg(cfg).train()
    loaded = torch.load(grass_checkpoint, map_location='cpu', weights_only=False)['state_dict']
    trained = torch.load(
        tmp_path / 'epoch_1.pth', map_location='cpu', weights_only=False)['state_dict']
    convs = [k for k in loaded if k.startswith('backbone.') and k.endswith('conv1.weight')]
    assert convs and all(torch.equal(trained[k], loaded[k]) for k in convs)
