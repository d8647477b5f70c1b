"""One progress line per phase for a console a person reads (the demo, scene inference)."""
import sys
import time
from typing import Optional, Sequence, TextIO

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from grass_mm.utils.console import progress_line


@HOOKS.register_module()
class ConsoleProgressHook(Hook):
    """One progress line per phase on ``stream``: bar, loss (stage, box area, the latest
    ``DenseProbeHook`` linear mIoU), ETA.

    The line is :func:`grass_mm.utils.console.progress_line`'s. Use it with
    :func:`grass_mm.utils.quiet`, which sends mmengine's own logs to a file: pass the console
    stream captured before entering it.

    Args:
        phase: The name the line starts with.
        stream: Where the lines go; ``sys.stdout`` as it is when the hook is built.
    """

    priority = 'VERY_LOW'

    def __init__(self, phase: str = 'training', stream: Optional[TextIO] = None) -> None:
        self.stream, self.phase = stream or sys.stdout, phase
        self.tty = getattr(self.stream, 'isatty', lambda: False)()
        self.stage: Optional[float] = None
        self.probe: Optional[float] = None  # the probe figure the last line showed

    def _line(self,
              done: int,
              total: int,
              start: float,
              text: str = '',
              phase: Optional[str] = None) -> None:
        progress_line(self.stream, phase or self.phase, done, total, start, text)

    def before_train(self, runner) -> None:
        self.start = time.time()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        outputs = outputs or {}
        stage = outputs.get('stage')
        if stage is not None and self.stage == 0 and float(stage) == 1:
            line = f'  GraSS stage: warmup -> gs (epoch {runner.epoch}, iter {runner.iter})'
            self.stream.write(('\r' + line.ljust(100) if self.tty else line) + '\n')
        self.stage = None if stage is None else float(stage)
        text = f"loss {float(outputs.get('loss', float('nan'))):.3f}"
        if stage is not None:
            text = (f"{'gs' if float(stage) else 'warm-up'}  {text}" +
                    (f"  box {float(outputs['box_area']):.2f}" if 'box_area' in outputs else ''))
        self.probe = self._latest_probe(runner)
        if self.probe is not None:
            text += f'  probe {self.probe:.1f}'
        self._line(runner.iter + 1, runner.max_iters, self.start, text)

    def after_train(self, runner) -> None:
        # DenseProbeHook (a higher priority) probes the final state after the last iteration:
        # the last line shows that figure, the one a summary reports.
        probe = self._latest_probe(runner)
        if probe is not None and probe != self.probe:
            self.probe = probe
            self._line(runner.iter, runner.max_iters, self.start,
                       f'probe {probe:.1f} (end of training)')

    @staticmethod
    def _latest_probe(runner) -> Optional[float]:
        """DenseProbeHook's latest linear mIoU (None before its first probe, or without it)."""
        if 'probe/linear_mIoU' not in runner.message_hub.log_scalars:
            return None
        return float(runner.message_hub.get_scalar('probe/linear_mIoU').current())

    def before_val(self, runner) -> None:
        self.val_start = time.time()

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        self._line(batch_idx + 1, len(runner.val_dataloader), self.val_start, phase='evaluation')
