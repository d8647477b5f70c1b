"""The paired GPU presets end to end at the smoke schedule on the real crops, on the CPU."""
import glob
import json
import os.path as osp

import pytest
import torch

from grass_mm.benchmark import PairedPlan, load_paired_matrix
from grass_mm.benchmark.record import merge_cells, seed_cells
from grass_mm.benchmark.results import write_tables
from grass_mm.benchmark.smoke import smoke_paired
from tests.helpers import REPO

pytestmark = pytest.mark.slow
CROPS = dict(
    potsdam='pseudo_potsdam_dataset',
    vaihingen='pseudo_vaihingen_dataset',
    loveda_urban='pseudo_loveda_dataset',
    loveda_rural='pseudo_loveda_dataset')


def run_smoke(name: str, shared_data: str, tmp_path, arms=None, seg_arms=None, purity_epochs=None):
    matrix = load_paired_matrix(osp.join(REPO, f'configs/benchmark_matrix/{name}_r50_gpu.py'))
    crop = osp.join(shared_data, 'rs_benchmark_crops', CROPS[name])
    smoke = smoke_paired(matrix, crop, str(tmp_path), arms)
    if seg_arms is not None:  # a DeepLabV3+ fine-tuning is the costliest step on the CPU
        smoke.segmentation.arms = seg_arms
    if purity_epochs is not None:  # each purity point is a process that loads the stack
        smoke.purity.epochs = purity_epochs
    lines = []
    plan = PairedPlan(smoke, 0, log=lines.append)
    plan.run()
    return plan, smoke, lines


def check_smoke(plan: PairedPlan, smoke, lines: list) -> str:
    """What every preset's smoke must show; returns the record's text."""
    shared = torch.load(plan.init, weights_only=False)['state_dict']
    backbone = [k for k in shared if k.startswith('backbone.')]
    for name in smoke.warmups:
        # One backbone init for every method family.
        init = torch.load(plan.init_of(name), weights_only=False)['state_dict']
        assert all(torch.equal(init[k], shared[k]) for k in backbone), name
        warm = torch.load(plan.checkpoint(name, 1), weights_only=False)
        family = [a for a, s in smoke.arms.items() if s.warmup == name]
        digests = [json.load(open(osp.join(plan.arm_dir(a), 'batch_digests.json'))) for a in family]
        # The continuations of one warm-up start at its iteration on the same batches.
        assert all(d == digests[0]
                   for d in digests) and digests[0][0]['iter'] == warm['meta']['iter'], family
        for arm in family:
            assert osp.isfile(osp.join(plan.dir, 'probe', f'{arm}_ep2', 'probe.json'))
            if arm in smoke.purity.arms:  # a GS arm: GS ran after the warm-up
                path, = glob.glob(osp.join(plan.arm_dir(arm), '*', 'vis_data', 'scalars.json'))
                assert '"stage": 1.0' in open(path).read(), arm
    for arm in smoke.segmentation.arms:
        epoch = 0 if arm == 'random' else 2
        result = json.load(open(osp.join(plan.dir, 'seg', f'{arm}_ep{epoch}_ft0', 'result.json')))
        assert 0 <= result['mIoU'] <= 100
    lines.clear()
    plan.run()
    assert lines == []  # a rerun finds every output
    cells = merge_cells(osp.join(smoke.record_dir, 'cells.json'), seed_cells(smoke, plan.dir, 0))
    text = write_tables(cells, smoke, smoke.record_dir, draws=100)
    assert '| floor (majority class) |' in text and 'byte-identical' in text
    return text


def test_the_potsdam_preset_runs_a_gs_twin_end_to_end(shared_data, tmp_path):
    """MoCo v2's warm-up from the shared init continued by GS-MoCo v2 on the preset's R-50
    configs: the family's own init, the switch after the warm-up, held-out probes, purity, the
    tables. GraSS's family is run end to end by the paired test
    (tests/test_benchmark/test_paired.py), which also runs the mmseg step; every family of every
    preset runs with ``-m presets``: a DeepLabV3+ R-50 fine-tuning costs more on the CPU than all
    of this."""
    plan, smoke, lines = run_smoke(
        'potsdam', shared_data, tmp_path, ['gs_mocov2'], [], purity_epochs=[2])
    assert list(smoke.warmups) == ['mocov2_warmup']
    text = check_smoke(plan, smoke, lines)
    assert '| gs-mocov2 | 1 |' in text
    purity = {
        c['method']
        for c in json.load(open(osp.join(smoke.record_dir, 'cells.json'))) if c['kind'] == 'purity'
    }
    assert purity == {'gs-mocov2'}


@pytest.mark.presets
@pytest.mark.parametrize('name', sorted(CROPS))
def test_every_gpu_preset_runs_whole_at_the_smoke_schedule(name, shared_data, tmp_path):
    plan, smoke, lines = run_smoke(name, shared_data, tmp_path)
    assert len(smoke.arms) == 9 and len(smoke.warmups) == 4
    check_smoke(plan, smoke, lines)


@pytest.mark.parametrize('name', sorted(CROPS))
def test_each_preset_smoke_reads_its_own_crop_in_every_step(name, shared_data, tmp_path):
    """The dataset-specific half of every preset, without training: its smoke's pretraining
    configs give views of the crop's patches, the probe reads both splits with the dataset's
    classes, and the fine-tuning config gives a labelled 256 px sample."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS as PRETRAIN_DATASETS
    from mmseg.registry import DATASETS as SEG_DATASETS

    from grass_mm.evaluation.probe import load_split
    matrix = load_paired_matrix(osp.join(REPO, f'configs/benchmark_matrix/{name}_r50_gpu.py'))
    crop = osp.join(shared_data, 'rs_benchmark_crops', CROPS[name])
    smoke = smoke_paired(matrix, crop, str(tmp_path))
    datasets = {}  # each distinct dataset once: most of a preset's configs share one
    for spec in [*smoke.warmups.values(), *smoke.arms.values()]:
        dataset = Config.fromfile(spec.config).train_dataloader.dataset
        datasets.setdefault(repr(dataset.to_dict()), (dataset, spec.config))
    for dataset, config in datasets.values():
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            views = PRETRAIN_DATASETS.build(dataset)[0]['inputs']
        assert len(views) == 2 and tuple(views[0].shape) == (3, 64, 64), config
    seg = Config.fromfile(smoke.segmentation.config)
    splits = [load_split(seg[f'{s}_dataloader'].dataset) for s in ('train', 'val')]
    assert splits[0]['classes'] == splits[1]['classes'] == list(
        SEG_DATASETS.get(seg.train_dataloader.dataset.type).METAINFO['classes'])
    with DefaultScope.overwrite_default_scope('mmseg'):
        sample = SEG_DATASETS.build(seg.train_dataloader.dataset)[0]
    assert tuple(sample['inputs'].shape[1:]) == (256, 256)
    assert tuple(sample['data_samples'].gt_sem_seg.data.shape[1:]) == (256, 256)
    assert smoke.probe.dataset_config == smoke.segmentation.config.replace('finetune', 'probe')
