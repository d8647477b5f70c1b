"""One progress line per phase for a console a person reads (the demo, scene inference)."""
import sys
import time
from typing import Optional, Sequence, TextIO

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class ConsoleProgressHook(Hook):
    """One progress line per phase on ``stream``: bar, loss (stage, box area), ETA.

    On a terminal the line is redrawn in place; elsewhere (a pipe, a CI log) it is printed at
    every tenth of the phase, so a captured console stays a screen long. Use it with
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

    def _line(self,
              done: int,
              total: int,
              start: float,
              text: str = '',
              phase: Optional[str] = None) -> None:
        elapsed = time.time() - start
        eta = elapsed / max(done, 1) * (total - done)
        bar = '#' * round(20 * done / max(total, 1))
        line = (f'  {phase or self.phase:<11} [{bar:<20}] {done}/{total} {text} '
                f'{"ETA" if done < total else "in"} {eta if done < total else elapsed:.0f} s')
        if self.tty:
            self.stream.write('\r' + line.ljust(100) + ('\n' if done == total else ''))
        elif 10 * done // total != 10 * (done - 1) // total:  # each tenth, at most 10 lines
            self.stream.write(line + '\n')
        self.stream.flush()

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
        self._line(runner.iter + 1, runner.max_iters, self.start, text)

    def before_val(self, runner) -> None:
        self.val_start = time.time()

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        self._line(batch_idx + 1, len(runner.val_dataloader), self.val_start, phase='evaluation')
