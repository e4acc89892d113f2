"""Table 1's clock: process CPU seconds per explanation, LIME (one call per example) vs input gradients
(one batched call), timed with ``time.process_time()`` as the reference timed with ``time.clock()``, and repeated
so that each cell has a spread (:func:`timed_repeats`)."""

from __future__ import annotations

import time
import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch
from torch import nn

from rrr.explanations import GradientKind, input_gradients

T = TypeVar("T")


def cpu_seconds_per_call(explain: Callable[[object], T], items: Sequence) -> tuple[float, list[T]]:
    """CPU seconds per ``explain(item)`` over ``items``, and the explanations."""
    start = time.process_time()
    explanations = [explain(item) for item in items]
    return (time.process_time() - start) / len(items), explanations


def gradient_seconds_per_explanation(
    model: nn.Module, x: torch.Tensor, kind: GradientKind = "max_prob", **kwargs
) -> tuple[float, torch.Tensor]:
    """CPU seconds per row of one batched ``input_gradients`` call on ``x``, and the gradients.

    A one-row call first keeps torch's one-off lazy initialisation out of the measurement.
    """
    input_gradients(model, x[:1], kind, **kwargs)
    start = time.process_time()
    gradients = input_gradients(model, x, kind, **kwargs)
    return (time.process_time() - start) / len(x), gradients


def timed_repeats(measure: Callable[[], tuple[float, T]], repeats: int) -> tuple[list[float], T]:
    """Run ``measure`` (a timing: seconds per explanation, and the explanations) ``repeats`` times; return every
    repeat's seconds and the first repeat's explanations. One timing has no error estimate: a claim on it could
    not be judged."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}.")
    seconds, explanations = measure()
    return [seconds] + [measure()[0] for _ in range(repeats - 1)], explanations


def timing_record(name: str, seconds: Sequence[float]) -> dict[str, object]:
    """``<name>_seconds_per_explanation`` (the median of the repeats, what Table 1 shows) and every repeat."""
    return {f"{name}_seconds_per_explanation": statistics.median(seconds), f"{name}_seconds_repeats": list(seconds)}
