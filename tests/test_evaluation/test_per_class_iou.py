import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from grass_mm.evaluation import PerClassIoUMetric


def sample(pred, label):
    data = SegDataSample()
    data.pred_sem_seg = PixelData(data=torch.tensor(pred)[None])
    data.gt_sem_seg = PixelData(data=torch.tensor(label)[None])
    return data.to_dict()


def test_per_class_iou_and_the_majority_floor_by_hand():
    metric = PerClassIoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=('land', 'road', 'water'))
    label = [[0, 0, 0, 0], [0, 0, 1, 1], [255, 255, 255, 255]]  # 6 land, 2 road, no water
    pred = [[0, 0, 0, 0], [0, 1, 1, 0], [2, 2, 2, 2]]
    metric.process([], [sample(pred, label)])
    out = metric.compute_metrics(metric.results)
    # land: tp 5, union 6 + 6 - 5 = 7; road: tp 1, union 2 + 2 - 1 = 3
    assert out['IoU.land'] == pytest.approx(71.43) and out['IoU.road'] == pytest.approx(33.33)
    assert out['aAcc'] == 75.0
    # 'land' everywhere: aAcc 6/8; IoU land 6/8, road 0, water absent from the labels
    assert out['floor.aAcc'] == 75.0 and out['floor.mIoU'] == 37.5


def test_a_misspelt_key_is_not_swallowed():
    with pytest.raises(TypeError, match='iou_metric'):
        PerClassIoUMetric(iou_metric=['mIoU'])
