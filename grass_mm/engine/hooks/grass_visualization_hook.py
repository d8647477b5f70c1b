from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmpretrain.utils import get_ori_model

from grass_mm.visualization import sampling_grid


@HOOKS.register_module()
class GraSSVisualizationHook(Hook):
    """Every ``interval`` GS iterations, send a grid of GraSS's sampling to the visualizer.

    Each row shows a view with its chosen box, its gradient map as a heat-map with the threshold
    contour and the box, and the crop trained on. The grid is drawn from what the training step
    already computed (the model keeps its first ``num_views`` views, maps, boxes and crops on the
    drawn steps only): no extra forward pass, and nothing kept on the other steps. Images go to
    ``runner.visualizer`` under ``grass_sampling``, hence to every configured backend
    (``vis_data/vis_image/`` for ``LocalVisBackend``, TensorBoard's images tab).

    Args:
        interval (int): Draw every ``interval`` iterations (only GS iterations draw).
        num_views (int): Rows in a grid. Defaults to 4.
    """

    priority = 'LOW'  # after GraSSStageHook has set the stage

    def __init__(self, interval: int = 500, num_views: int = 4) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'GraSSVisualizationHook: interval must be an int >= 1, '
                             f'got {interval!r}')
        if not isinstance(num_views, int) or num_views < 1:
            raise ValueError(f'GraSSVisualizationHook: num_views must be an int >= 1, '
                             f'got {num_views!r}')
        self.interval = interval
        self.num_views = num_views

    def before_train(self, runner) -> None:
        model = get_ori_model(runner.model)
        if not hasattr(model, 'keep_samples'):
            raise TypeError('GraSSVisualizationHook needs a GraSS model, got '
                            f'{type(model).__name__}')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[Sequence[dict]] = None) -> None:
        model = get_ori_model(runner.model)
        drawn = self.every_n_train_iters(runner, self.interval) and model.stage == 'gs'
        model.keep_samples = self.num_views if drawn else 0

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        model = get_ori_model(runner.model)
        if model.last_samples is None:
            return
        grid = sampling_grid(model, model.last_samples)
        runner.visualizer.add_image('grass_sampling', grid, step=runner.iter + 1)
        model.keep_samples, model.last_samples = 0, None
