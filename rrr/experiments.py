"""Seeded replicate training: one stacked model per seed list, and its per-seed metrics."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from rrr.models import MLP, mlp_stack
from rrr.training import ArrayLike, History, accuracy, as_tensor, fit


def train_replicates(
    x: ArrayLike,
    y: ArrayLike,
    mask: ArrayLike | None,
    *,
    seeds: Sequence[int],
    l1: float | Sequence[float],
    train: Mapping[str, object],
    hidden: Sequence[int] = (50, 30),
    evaluate: Mapping[str, tuple[ArrayLike, ArrayLike]] = {},
) -> tuple[MLP, History, dict]:
    """Train one model per seed, all at once as a stack, and measure them.

    Returns the stacked model, its history and a JSON-ready dict with per-seed lists:
    ``train_accuracy``, ``<name>_accuracy`` for each ``evaluate`` set, the first
    minibatch's right-answers and right-reasons terms, and the wall-clock training time.
    """
    x_t, y_t = as_tensor(x), as_tensor(y).long()
    n_classes = int(y_t.max().item()) + 1
    model = mlp_stack(x_t.shape[-1], n_classes, seeds, hidden)
    start = time.perf_counter()
    model, history = fit(model, x_t, y_t, mask, l1=l1, seed=int(seeds[0]), **train)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    metrics: dict = {
        "seeds": list(map(int, seeds)),
        "l1": l1 if np.isscalar(l1) else list(l1),  # type: ignore[arg-type]
        "train_seconds": seconds,
        "train_accuracy": np.atleast_1d(accuracy(model, x_t, y_t)).tolist(),
        "initial_right_answers": np.atleast_1d(history.initial_right_answers).tolist(),
        "initial_right_reasons": np.atleast_1d(history.initial_right_reasons).tolist(),
    }
    for name, (xe, ye) in evaluate.items():
        metrics[f"{name}_accuracy"] = np.atleast_1d(accuracy(model, xe, ye)).tolist()
    return model, history, metrics
