"""Trained models shared between clones through Snakemake's between-workflow cache (snakemake --cache)."""

from __future__ import annotations

import os
import re
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
# A rule whose models are a list (one per FAE round), declared one by one as model0, model1, ...
FAE_MODELS = [f"results/smoke/models/toy-color/fae-theta{i}.pt" for i in range(3)]
FAE_RECORD = "results/smoke/benchmarks/toy-color-fae.tsv"
FAE_LOG = "results/smoke/logs/toy_color_fae.log"


def _clone(path: Path) -> Path:
    """A copy of the project (its workflow, config, profiles, envs and library), as a lab member's clone."""
    path.mkdir()
    for name in ("workflow", "config", "profiles", "envs", "rrr"):
        shutil.copytree(ROOT / name, path / name, ignore=shutil.ignore_patterns("__pycache__"))
    return path


def _trained(clone: Path, log: str = TRAIN_LOG) -> bool:
    """Whether the training script ran in ``clone``: it logs its epochs (rrr.fit); Snakemake leaves the log of a job
    taken from the cache empty."""
    log = clone / log
    return log.is_file() and re.search(r"^rrr\.fit( round \d+/\d+)?: step ", log.read_text(), flags=re.M) is not None


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


@pytest.mark.slow
def test_a_rule_with_one_model_per_round_is_taken_from_the_cache_whole(tmp_path: Path):
    """toy_color_fae writes one model per FAE round: each is a named output (model0, model1, ...), so the rule is
    cacheable, and a second clone takes every round's model, sidecar, the gradients and the record from the cache."""
    cache = tmp_path / "cache"
    cache.mkdir()
    first, second = _clone(tmp_path / "first"), _clone(tmp_path / "second")

    _snakemake(first, cache, *FAE_MODELS)
    assert _trained(first, FAE_LOG)
    assert {f"model{i}.pt" for i in range(3)} <= {p.name.split("_", 1)[1] for p in cache.glob("*.pt")}

    run = _snakemake(second, cache, *FAE_MODELS)
    assert not _trained(second, FAE_LOG), "the second clone trained the FAE rounds again"
    assert "from cache" in run.stderr
    for path in FAE_MODELS:  # every round, in its place, with the sidecar load_model reads
        assert file_sha256(second / path) == file_sha256(first / path) == read_sidecar(second / path)["sha256"]
        load_model(second / path)
    assert (second / FAE_RECORD).read_text() == (first / FAE_RECORD).read_text()
