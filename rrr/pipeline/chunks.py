"""How a sweep of stacked models is split into training jobs (no torch: the Snakefile imports it).

A stack trains each of its models exactly as it would alone in a stack (every model's loss, gradients and Adam
state are its own; ``tests/test_experiments.py``), so splitting a sweep changes no number, only what a scheduler
can run side by side: one job for the whole sweep is fastest on a few cores, jobs of a few models let a cluster
spread a sweep, or a chain of find-another-explanation rounds, over many.
"""

from __future__ import annotations


def job_chunks(n_models: int, models_per_job: int) -> list[list[int]]:
    """The model indices of each training job: all in one job when ``models_per_job`` is 0, else consecutive runs of
    ``models_per_job`` (the last one shorter)."""
    if isinstance(models_per_job, bool) or not isinstance(models_per_job, int) or models_per_job < 0:
        raise ValueError(f"models_per_job must be an integer ≥ 0 (0: one job per sweep), got {models_per_job!r}.")
    if n_models < 1:
        raise ValueError(f"A sweep needs at least one model, got {n_models}.")
    size = models_per_job or n_models
    return [list(range(start, min(start + size, n_models))) for start in range(0, n_models, size)]
