"""Progress of a running training or download: one record type, and a ready-made reporter for job logs.

Every trainer (:func:`rrr.fit`, :func:`rrr.adversarial.defenses.train_cnn`,
:func:`rrr.extras.hessian.fit_input_penalty`, :func:`rrr.extras.diverse.train_diverse_models`,
:func:`rrr.extras.autoencoder.fit_autoencoder`) takes ``callback=``, a function of one :class:`Progress`,
called after each epoch (every ``log_every`` batches for the CNN trainer). It only reads values the
trainer has already computed, so a callback never changes a trained number.

:class:`ProgressLogger` writes one line per call to ``sys.stderr`` (a job's log, see
:func:`rrr.pipeline.jobs.start_job`), or draws a tqdm bar where a terminal is attached.
Progress never goes into a metrics file: those stay byte-identical between runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

__all__ = ["Progress", "ProgressCallback", "ProgressLogger", "TransferProgress", "log_progress", "summarize"]


@dataclass(frozen=True)
class Progress:
    """Where a training stands after ``step`` of ``steps`` optimizer steps (epoch ``epoch`` of ``epochs``).

    ``terms`` maps the trainer's loss terms to their latest values (per epoch: the epoch's mean or
    sum, as the trainer's history keeps them; for a stack of models, the mean over models);
    ``running_accuracy`` is the training accuracy the trainer measured along the way (None if it
    measures none); ``elapsed`` is seconds since the training started.
    """

    trainer: str
    step: int
    steps: int
    epoch: int
    epochs: int
    terms: Mapping[str, float] = field(default_factory=dict)
    running_accuracy: float | None = None
    elapsed: float = 0.0

    @property
    def remaining(self) -> float | None:
        """Seconds left, extrapolated linearly from the steps done so far (None before the first)."""
        if self.step <= 0:
            return None
        return self.elapsed * max(self.steps - self.step, 0) / self.step

    def line(self) -> str:
        """One log line: trainer, step/steps, epoch/epochs, the terms, the running accuracy, elapsed and left."""
        parts = [f"{self.trainer}: step {self.step}/{self.steps}", f"epoch {self.epoch}/{self.epochs}"]
        parts += [f"{name} {value:.4g}" for name, value in self.terms.items()]
        if self.running_accuracy is not None:
            parts.append(f"running_accuracy {self.running_accuracy:.4f}")
        left = self.remaining
        parts.append(f"elapsed {_duration(self.elapsed)}")
        parts.append(f"left {'?' if left is None else '~' + _duration(left)}")
        return ", ".join(parts)


ProgressCallback = Callable[[Progress], None]


def summarize(value: object) -> float:
    """A float summary of an already-computed value: itself, or the mean over a stack of models."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()  # type: ignore[union-attr]
    return float(np.mean(np.asarray(value, dtype=float)))


def _duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _use_bar(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


class ProgressLogger:
    """A training callback that reports :class:`Progress` as it comes.

    Writes :meth:`Progress.line` to ``stream`` (default: ``sys.stderr`` at call time, i.e. a job's
    log) at most once per ``every_seconds`` (always a training's first and last record), flushed
    so ``tail -f`` shows it at once. With ``bar=True`` (default: when ``stream`` is a terminal) it
    draws a tqdm bar instead, one per training.
    """

    def __init__(
        self,
        every_seconds: float = 10.0,
        *,
        stream: TextIO | None = None,
        bar: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not every_seconds >= 0:
            raise ValueError(f"every_seconds must be >= 0 (0 logs every call), got {every_seconds!r}.")
        self.every_seconds = float(every_seconds)
        self._stream = stream
        self._bar_wanted = bar
        self._clock = clock
        self._last: float | None = None
        self._step, self._trainer = 0, ""  # the last record's: a lower step or another trainer starts a new training
        self._bar = None
        self._bar_step = 0

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, progress: Progress) -> None:
        stream = self.stream
        if self._bar_wanted if self._bar_wanted is not None else _use_bar(stream):
            self._draw(progress, stream)
            return
        now = self._clock()
        new = self._last is None or progress.step <= self._step or progress.trainer != self._trainer
        self._step, self._trainer = progress.step, progress.trainer
        if new or progress.step >= progress.steps or now - self._last >= self.every_seconds:  # type: ignore[operator]
            print(progress.line(), file=stream, flush=True)
            self._last = now

    def _draw(self, progress: Progress, stream: TextIO) -> None:
        from tqdm import tqdm

        if self._bar is None or progress.step < self._bar_step:  # a new training
            self.close()
            self._bar = tqdm(total=progress.steps, desc=progress.trainer, file=stream, unit="step")
            self._bar_step = 0
        post = dict(progress.terms)
        if progress.running_accuracy is not None:
            post["acc"] = progress.running_accuracy
        self._bar.set_postfix({k: f"{v:.4g}" for k, v in post.items()}, refresh=False)
        self._bar.update(progress.step - self._bar_step)
        self._bar_step = progress.step
        if progress.step >= progress.steps:
            self.close()

    def close(self) -> None:
        """Close an open progress bar (no-op when writing lines)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def log_progress(every_seconds: float = 10.0, *, stream: TextIO | None = None) -> ProgressLogger:
    """The workflow's training callback: a :class:`ProgressLogger` writing to the job's log."""
    return ProgressLogger(every_seconds, stream=stream)


class TransferProgress:
    """Reports bytes done of a download or copy: a line per ``every_seconds`` (and the end), or a tqdm bar on a
    terminal. ``total`` is None when the size is unknown."""

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        every_seconds: float = 5.0,
        stream: TextIO | None = None,
        bar: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.done = label, total, 0
        self._reported: int | None = None
        self.every_seconds = float(every_seconds)
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._start = self._last = clock()
        self._bar = None
        if bar if bar is not None else _use_bar(self._stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, file=self._stream, unit="B", unit_scale=True)

    def update(self, n: int) -> None:
        """Count ``n`` more bytes."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = self._clock()
        if now - self._last >= self.every_seconds:
            self._write(now)
            self._last = now

    def close(self) -> None:
        """The final report (a line unless the last one already said it)."""
        if self._bar is not None:
            self._bar.close()
        elif self._reported != self.done:  # not twice the same line
            self._write(self._clock())

    def _write(self, now: float) -> None:
        self._reported = self.done
        of = "" if self.total is None else f" of {_size(self.total)} ({100 * self.done / max(self.total, 1):.0f}%)"
        print(f"{self.label}: {_size(self.done)}{of}, {_duration(now - self._start)}", file=self._stream, flush=True)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n:.2f} GiB"
