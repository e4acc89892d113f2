"""Helpers the workflow's scripts share: seeded replicate training and result files."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from rrr.models import MLP, mlp_stack
from rrr.training import ArrayLike, History, accuracy, as_tensor, fit


def log_to(path: str | Path) -> None:
    """Send this process's output — prints, warnings, logging and an uncaught traceback — to a job's log file."""
    stream = open(path, "w", buffering=1)  # open until the process ends
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, force=True)


def set_threads(n: int) -> None:
    """Use ``n`` CPU threads for torch (Snakemake's ``threads``)."""
    torch.set_num_threads(max(1, int(n)))


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


# Wall-clock times differ between two runs of the same job: they are kept out of the metrics files (which are then
# byte-identical run to run) and written beside them, <name>.timing.json. Nothing reads them back.
TIMING_KEYS = frozenset({"train_seconds", "seconds_per_batch"})
METRICS_DIR = "metrics"


def timing_path(metrics_path: str | Path) -> Path:
    """Where :func:`write_json` puts the timings of a metrics file: ``<name>.timing.json`` beside it."""
    path = Path(metrics_path)
    return path.with_name(path.name.removesuffix(".json") + ".timing.json")


def _write_atomically(data: Mapping, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


def write_json(data: Mapping, path: str | Path) -> None:
    """Write JSON atomically (temp file, then rename), so a killed job leaves nothing half-written.

    A metrics file (one in a ``metrics/`` folder, ``results/<profile>/metrics/...``) is written without its
    wall-clock times (the top-level :data:`TIMING_KEYS`), which go to :func:`timing_path` beside it: two runs of a
    job then write the same metrics bytes, and no script has to change (a changed script reruns its jobs).
    """
    path = Path(path)
    if METRICS_DIR in path.parent.parts and isinstance(data, Mapping):
        timings = {k: v for k, v in data.items() if k in TIMING_KEYS}
        if timings:
            _write_atomically(timings, timing_path(path))
            data = {k: v for k, v in data.items() if k not in TIMING_KEYS}
    _write_atomically(data, path)


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())
