import pytest
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS


def subset(root, fraction, seed=0):
    cfg = dict(
        type='LabelFraction',
        fraction=fraction,
        seed=seed,
        dataset=dict(
            type='SyntheticAerialDataset',
            data_root=root,
            data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
            pipeline=[]))
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(cfg)
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def test_fraction_is_reproducible_nested_and_seed_dependent(synthetic_root):
    full = subset(synthetic_root, 1.0)
    half = subset(synthetic_root, 0.5)
    quarter = subset(synthetic_root, 0.25)
    assert len(full) == 8 and len(half) == 4 and len(quarter) == 2
    assert half == subset(synthetic_root, 0.5) and set(quarter) <= set(half) <= set(full)
    assert any(subset(synthetic_root, 0.5, seed=s) != half for s in range(1, 5))
    assert len(subset(synthetic_root, 0.01)) == 1  # never empty


def test_bad_fraction_is_a_clear_error(synthetic_root):
    with pytest.raises(ValueError, match=r'fraction must be in \(0, 1\], got 0'):
        subset(synthetic_root, 0)
