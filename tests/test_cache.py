"""Trained models shared between clones through Snakemake's between-workflow cache (snakemake --cache)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rrr.atomic import file_sha256, read_sidecar
from rrr.models import load_model

ROOT = Path(__file__).resolve().parent.parent
MODEL = "results/smoke/models/toy2d/two-class.pt"
RECORD = "results/smoke/benchmarks/toy2d-train-two-class.tsv"
TRAIN_LOG = "results/smoke/logs/toy2d_train/two-class.log"


def _clone(path: Path) -> Path:
    """A copy of the project (its workflow, config, profiles, envs and library), as a lab member's clone."""
    path.mkdir()
    for name in ("workflow", "config", "profiles", "envs", "rrr"):
        shutil.copytree(ROOT / name, path / name, ignore=shutil.ignore_patterns("__pycache__"))
    return path


def _trained(clone: Path) -> bool:
    """Whether the training script ran in ``clone``: it logs its epochs (rrr.fit); Snakemake leaves the log of a job
    taken from the cache empty."""
    log = clone / TRAIN_LOG
    return log.is_file() and "rrr.fit: step" in log.read_text()


def _snakemake(cwd: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SNAKEMAKE_OUTPUT_CACHE": str(cache), "PYTHONPATH": str(cwd)}
    env.pop("RRR_DATA_MIRROR", None)
    cmd = [sys.executable, "-m", "snakemake", *args, "--cache", "--cores", "1", "--configfile", "config/smoke.yaml"]
    run = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    return run


@pytest.mark.slow
def test_a_second_clone_takes_the_trained_model_from_the_cache_until_the_code_changes(tmp_path: Path):
    cache = tmp_path / "cache"
    cache.mkdir()
    first, second = _clone(tmp_path / "first"), _clone(tmp_path / "second")

    _snakemake(first, cache, MODEL)
    assert _trained(first)  # trained here, and stored
    assert any(cache.glob("*.pt")) and any(cache.glob("*_record.tsv")) and any(cache.glob("*_model_json.json"))

    run = _snakemake(second, cache, MODEL)
    assert not _trained(second), "the second clone trained the model again"
    assert "from cache" in run.stderr
    model = second / MODEL
    assert read_sidecar(model)["sha256"] == file_sha256(model) == file_sha256(first / MODEL)
    load_model(model)  # its sidecar (the model's config) came with it
    # The record is the producer's: Snakemake's benchmark format, wall seconds in `s`.
    assert (second / RECORD).read_text() == (first / RECORD).read_text()
    assert pd.read_csv(second / RECORD, sep="\t")["s"].iloc[-1] > 0

    # Training code changed (a module the script imports): the key changes, and the second clone trains.
    with open(second / "rrr" / "models.py", "a") as module:
        module.write("\n_CACHE_KEY_PROBE = 1\n")
    _snakemake(second, cache, MODEL, "--rerun-triggers", "params")
    assert _trained(second)
    assert file_sha256(second / MODEL) == read_sidecar(second / MODEL)["sha256"]
