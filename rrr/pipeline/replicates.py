"""Seeded replicate training: one stacked model per seed list, and its per-seed metrics."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from rrr.models import MLP, concat_stacks, mlp_stack
from rrr.progress import ProgressCallback
from rrr.training import ArrayLike, History, accuracy, as_tensor, fit
from rrr.validation import check_nonnegative, warn_if_mask_ignored


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
    shuffle_seed: int | None = None,
    callback: ProgressCallback | None = None,
    device: str | torch.device = "cpu",
) -> tuple[MLP, History, dict]:
    """Train one model per seed, all at once as a stack, and measure them.

    Returns the stacked model, its history and a JSON-ready dict with per-seed lists:
    ``train_accuracy``, ``<name>_accuracy`` for each ``evaluate`` set, the first
    minibatch's right-answers and right-reasons terms, and the wall-clock training time.
    ``shuffle_seed`` (default ``seeds[0]``) orders the minibatches when ``train`` shuffles: a job that trains part of
    a sweep passes the whole sweep's, so that its models equal the whole sweep's. ``callback`` goes to
    :func:`rrr.fit` (progress per epoch, :mod:`rrr.progress`); it changes no number. ``device`` ('cpu' or 'cuda',
    config ``device``) is where the stack trains and is measured (the data follow the model); the model comes back
    on the CPU, so that the caller's gradients and saved files are the same either way.
    """
    if mask is not None:
        check_nonnegative("l1", l1)
        if warn_if_mask_ignored("rrr.pipeline.replicates.train_replicates", mask, l1):
            mask = None  # ignored either way: the same numbers, and fit does not warn a second time
    x_t, y_t = as_tensor(x), as_tensor(y).long()
    n_classes = int(y_t.max().item()) + 1
    model = mlp_stack(x_t.shape[-1], n_classes, seeds, hidden).to(device)  # initialized on the CPU: same weights
    start = time.perf_counter()
    shuffle = int(seeds[0] if shuffle_seed is None else shuffle_seed)
    model, history = fit(
        model, x_t, y_t, mask, l1=l1, seed=shuffle, callback=callback, **train  # type: ignore[arg-type]
    )
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
    return model.cpu(), history, metrics


def merge_replicates(
    models: Sequence[MLP],
    histories: Sequence[pd.DataFrame],
    metrics: Sequence[Mapping],
    summed: Sequence[str] = ("train_seconds",),
) -> tuple[MLP, pd.DataFrame, dict]:
    """One stack, history table and metrics dict from the jobs that trained parts of a sweep (rrr.pipeline.chunks), in order.

    Per-model lists are concatenated, the ``summed`` keys (CPU time) added, and every other value must be the same in
    every part. History tables (``History.to_frame``) get the model index of the whole stack.
    """
    cfg = dict(models[0].config, n_models=sum(m.n_models for m in models))
    merged = concat_stacks(
        models, MLP(cfg["in_features"], cfg["n_classes"], cfg["hidden"], cfg["n_models"], cfg["init_std"])
    )
    offsets = np.cumsum([0] + [m.n_models for m in models[:-1]])
    history = pd.concat([h.assign(model=h["model"] + o) for h, o in zip(histories, offsets)], ignore_index=True)
    history = history.sort_values(["epoch", "model"], kind="stable", ignore_index=True)
    out: dict = {}
    for key in metrics[0]:
        values = [part[key] for part in metrics]
        if key in summed:
            out[key] = float(sum(values))
        elif isinstance(values[0], list):
            out[key] = [v for part in values for v in part]
        elif all(v == values[0] for v in values):
            out[key] = values[0]
        else:
            raise ValueError(f"merge_replicates: {key!r} differs between the parts ({values}); it is not per model.")
    return merged, history, out
