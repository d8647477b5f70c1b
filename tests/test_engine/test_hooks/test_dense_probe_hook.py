"""DenseProbeHook in real GraSS runs: a curve from random init on held-out labels, training left
bit-identical, save_best on the probe, and the splits from any mmseg dataset config."""
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

from grass_mm.engine.hooks import DenseProbeHook
from tests.helpers import tiny_grass_cfg

pytestmark = pytest.mark.slow  # real Runners / tools end to end (docs/en/notes/contributing.md)


def splits(root):
    return [
        dict(
            type='SyntheticAerialDataset',
            data_root=root,
            data_prefix=dict(img_path=f'img_dir/{s}', seg_map_path=f'ann_dir/{s}'))
        for s in ('train', 'val')
    ]


def probed_cfg(root, work_dir, **hook):
    cfg = tiny_grass_cfg(root, work_dir, max_epochs=3, warmup_epochs=1)
    train, test = splits(root)
    cfg.custom_hooks.append(
        dict(
            type='DenseProbeHook',
            train_split=train,
            test_split=test,
            scale=0.5,
            patch=8,
            pixels_per_class=500,
            **dict(dict(interval=1), **hook)))
    return cfg


def losses(work_dir):
    log = [
        json.loads(line) for line in open(
            osp.join(work_dir,
                     sorted(d for d in os.listdir(work_dir)
                            if d[0].isdigit())[-1], 'vis_data', 'scalars.json'))
    ]
    return log, [r['loss'] for r in log if 'loss' in r]


def test_the_probe_leaves_training_bit_identical_and_logs_a_curve(synthetic_root, tmp_path):
    # The random-box control draws its boxes from the global torch RNG: a probe that moved it
    # would change every GS-stage loss.
    plain_cfg = tiny_grass_cfg(synthetic_root, str(tmp_path / 'plain'), max_epochs=3)
    probed = probed_cfg(synthetic_root, str(tmp_path / 'probed'))
    for cfg in (plain_cfg, probed):
        cfg.model.sampler = dict(type='RandomBoxSampler')
    plain = Runner.from_cfg(plain_cfg)
    plain.train()
    runner = Runner.from_cfg(probed)
    runner.train()
    _, expected = losses(str(tmp_path / 'plain'))
    log, got = losses(str(tmp_path / 'probed'))
    assert len(got) == len(expected) == runner.max_iters and got == expected  # bit for bit
    for a, b in zip(plain.model.state_dict().values(), runner.model.state_dict().values()):
        assert torch.equal(a, b)
    probes = [r for r in log if 'probe/linear_mIoU' in r]
    assert [r['step'] for r in probes] == [0, 2, 4, 6]  # random init, then every epoch
    assert 'probe/floor_mIoU' in probes[0] and 'probe/floor_mIoU' not in probes[1]
    assert all(0 <= r['probe/knn_mAcc'] <= 100 for r in probes)
    hook = next(h for h in runner.hooks if isinstance(h, DenseProbeHook))
    assert sorted(hook.curve) == [0, 1, 2, 3]
    assert osp.isfile(tmp_path / 'probed' / 'probe_curve.png')
    assert runner.model.backbone.training  # train mode restored


def test_save_best_keeps_the_checkpoint_the_probe_liked_best(synthetic_root, tmp_path):
    cfg = probed_cfg(synthetic_root, str(tmp_path))
    cfg.default_hooks.checkpoint.update(save_best='probe/linear_mIoU', rule='greater')
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, DenseProbeHook))
    scores = {e: hook.curve[e]['linear_mIoU'] for e in (1, 2, 3)}
    best = max(scores, key=scores.get)  # the first of ties, as CheckpointHook keeps it
    saved = [f for f in os.listdir(tmp_path) if f.startswith('best_')]
    assert saved == [f'best_probe_linear_mIoU_epoch_{best}.pth'], (saved, scores)
    state = torch.load(tmp_path / saved[0], weights_only=False)
    assert state['meta']['epoch'] == best


def test_the_hook_and_the_offline_tool_give_the_same_figures(synthetic_root, tmp_path):
    """The online probe at the end of a run and ``linear_probe.py --dataset-config`` on that
    run's last checkpoint, with the same split and settings: the same figures, to the bit."""
    from grass_mm.cli.linear_probe import main
    cfg = probed_cfg(synthetic_root, str(tmp_path / 'run'), max_windows=40)
    cfg.dump(str(tmp_path / 'pretrain.py'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    online = next(h for h in runner.hooks if isinstance(h, DenseProbeHook)).curve[3]
    train, test = splits(synthetic_root)
    (tmp_path / 'splits.py').write_text(f'train_dataloader = dict(dataset={train!r})\n'
                                        f'val_dataloader = dict(dataset={test!r})\n')
    main([
        str(tmp_path / 'run' / 'epoch_3.pth'), '--out-dir',
        str(tmp_path / 'offline'), '--config',
        str(tmp_path / 'pretrain.py'), '--dataset-config',
        str(tmp_path / 'splits.py'), '--scale', '0.5', '--patch', '8', '--pixels-per-class', '500',
        '--stages', '4', '--max-windows', '40'
    ])
    offline = json.load(open(tmp_path / 'offline' / 'probe.json'))['backbones'][0]
    assert {k: offline[k] for k in DenseProbeHook.KEYS} == online
    assert 0 < online['linear_mIoU'] < 100


def test_iteration_intervals(synthetic_root, tmp_path):
    cfg = probed_cfg(synthetic_root, str(tmp_path), interval=4, by_epoch=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, DenseProbeHook))
    assert sorted(hook.curve) == [0, 4, runner.max_iters]  # 6 iterations: 0, 4 and the end


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match='interval must be an int >= 1'):
        DenseProbeHook(dict(type='X'), dict(type='X'), interval=0)
    with pytest.raises(TypeError, match='test_split must be a dataset config dict'):
        DenseProbeHook(dict(type='X'), 'data/val')


def test_probe_cost_counts_the_schedules_probes(synthetic_root, tmp_path):
    from grass_mm.evaluation.probe.cost import probe_cost
    runner = Runner.from_cfg(probed_cfg(synthetic_root, str(tmp_path), interval=2))
    hook = next(h for h in runner.hooks if isinstance(h, DenseProbeHook))
    cost = probe_cost(runner, hook.build_probe(), hook.interval, hook.by_epoch, steps=2, probes=1)
    assert cost['steps'] == 6 and cost['probes'] == 3  # epochs 0, 2 and the end (3)
    assert cost['step_s'] > 0 and cost['probe_s'] > 0 and 0 < cost['share'] < 1
    expected = 3 * cost['probe_s'] / (6 * cost['step_s'] + 3 * cost['probe_s'])
    assert cost['share'] == pytest.approx(expected)
