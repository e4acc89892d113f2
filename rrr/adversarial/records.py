"""What a training job of the adversarial chapter keeps of each trained CNN: its clean and validation accuracy in the
job's per-seed lists, its time in the timings, and the model file with both (one model trained alone or in a stack)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from rrr.adversarial.cnn import save_cnn
from rrr.adversarial.defenses import accuracy


def keep_trained(
    model: torch.nn.Module,
    path: str | Path,
    *,
    seconds: float,
    n_batches: int,
    per_seed: dict[str, list],
    timings: dict[str, list],
    metrics: Mapping[str, object],
    test: tuple[torch.Tensor, torch.Tensor],
    validation: tuple[torch.Tensor, torch.Tensor],
    **saved: object,
) -> None:
    """Score ``model`` on the clean ``test`` and ``validation`` images, append the scores to ``per_seed`` and its
    ``seconds`` to ``timings``, and save it at ``path`` with the job's ``metrics`` (but its seed lists), the scores and
    ``saved`` (seed, model_seed, code)."""
    scores = {"clean_accuracy": accuracy(model, *test), "validation_accuracy": accuracy(model, *validation)}
    for key, value in scores.items():
        per_seed[key].append(value)
    timings["train_seconds"].append(seconds)
    timings["seconds_per_batch"].append(seconds / n_batches)
    save_cnn(model, path, **{k: v for k, v in metrics.items() if k not in ("seeds", "model_seeds")}, **saved, **scores)
