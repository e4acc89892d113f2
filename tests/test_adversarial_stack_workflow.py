"""Config adversarial.stack: one stacked job per dataset (rule adversarial_train_stacked) writes every file the
per-defense adversarial_train jobs write, with the same models to round-off; off, the plan is the per-defense one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import torch
import yaml

from rrr.adversarial.cnn import load_cnn
from test_adversarial_stack import BOUND

MODELS = ["teacher", "normal", "distilled", "advtrain", "insensitive-cs", "insensitive-dbl", "doubleback", "both"]
TRAINED = ["results/smoke/models/adversarial/mnist", "results/smoke/metrics/adversarial-train/mnist"]
# The smoke profile trains 4 batches: the stack test's bound after 20 steps (in Adam moves) holds with room; the
# students' teachers differ by round-off too, so their soft labels do.
STEPS = 4


def _snakemake(project: Path, mirror: Path | None, *args: str, stack: bool | None) -> subprocess.CompletedProcess:
    """snakemake in ``project`` with the smoke profile and, unless None, an overlay setting adversarial.stack."""
    files = ["config/smoke.yaml"]
    if stack is not None:
        (project / "config" / "stack.yaml").write_text(yaml.safe_dump({"adversarial": {"stack": stack}}))
        files.append("config/stack.yaml")
    env = {k: v for k, v in os.environ.items() if k != "RRR_DATA_MIRROR"}
    if mirror is not None:
        env["RRR_DATA_MIRROR"] = str(mirror)
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "1", "--configfile", *files]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=1200)


def _jobs(run: subprocess.CompletedProcess) -> list[tuple[str, str]]:
    """A dry run's jobs as (rule, outputs), sorted."""
    assert run.returncode == 0, run.stderr[-3000:]
    text = run.stdout + run.stderr
    return sorted(re.findall(r"^rule (\w+):\n(?:.*\n)*?\s+output: (.*)$", text, re.M))


def test_switched_off_the_plan_is_the_per_defense_jobs(project: Path):
    """stack: false (the default) plans the per-defense jobs and no stacked one; true, one stacked job per dataset
    trains every model but the λ grid's, and the rest of the plan is unchanged."""
    default = _jobs(_snakemake(project, None, "thesis_adversarial", "-n", stack=None))
    off = _jobs(_snakemake(project, None, "thesis_adversarial", "-n", stack=False))
    on = _jobs(_snakemake(project, None, "thesis_adversarial", "-n", stack=True))
    assert default == off
    assert sum(rule == "adversarial_train" for rule, _ in off) == 2 * len(MODELS)  # mnist and notmnist
    assert not any(rule == "adversarial_train_stacked" for rule, _ in off)
    assert sorted(rule for rule, _ in on if rule.startswith("adversarial_train")) == ["adversarial_train_stacked"] * 2
    assert [j for j in on if not j[0].startswith("adversarial_train")] == [
        j for j in off if not j[0].startswith("adversarial_train")]
    stacked = {p for rule, outputs in on if rule == "adversarial_train_stacked" for p in outputs.split(", ")}
    # Every file the per-defense jobs make, but their time records (benchmarks/*.tsv, an output of a cached rule):
    # the stacked job has a record of its own.
    alone = {p for rule, outputs in off if rule == "adversarial_train" for p in outputs.split(", ")}
    assert stacked == {p for p in alone if "/benchmarks/" not in p}


def _files(project: Path) -> dict[str, Path]:
    return {str(p.relative_to(project / d)): p for d in TRAINED for p in (project / d).rglob("*") if p.is_file()}


def _gap_in_steps(a: torch.nn.Module, b: torch.nn.Module) -> float:
    """Max |a − b| over the weights in units of Adam's largest total move (lr per step)."""
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters())) / (2e-4 * STEPS)


def test_the_stacked_job_writes_the_per_defense_jobs_files_and_models(project: Path, mirror: Path):
    targets = [f"{TRAINED[1]}/{m}.json" for m in MODELS]
    lone = _snakemake(project, mirror, *targets, stack=False)
    assert lone.returncode == 0, lone.stderr[-4000:]
    assert "adversarial_train_stacked" not in lone.stdout + lone.stderr
    for d in TRAINED:
        (project / d).rename(project / f"{d}-lone")
    stacked = _snakemake(project, mirror, *targets, stack=True)
    assert stacked.returncode == 0, stacked.stderr[-4000:]
    assert "rule adversarial_train_stacked" in stacked.stdout + stacked.stderr
    assert "rule adversarial_train:" not in stacked.stdout + stacked.stderr
    new = _files(project)
    for d in TRAINED:
        (project / d).rename(project / f"{d}-stacked")
        (project / f"{d}-lone").rename(project / d)
    old = _files(project)
    assert sorted(new) == sorted(old)  # models, sidecars, histories, metrics, timings; no checkpoint left
    assert not [f for f in new if f.endswith(".ckpt")]
    for name, path in old.items():
        if name.endswith(".pt"):
            a, b = load_cnn(path, "cpu"), load_cnn(new[name], "cpu")
            assert _gap_in_steps(a, b) < BOUND[20], name
        elif name.endswith("-history.csv"):
            a, b = pd.read_csv(path), pd.read_csv(new[name])
            assert list(a.columns) == list(b.columns) and a[["batch", "seed"]].equals(b[["batch", "seed"]]), name
            assert (a["loss"] - b["loss"]).abs().max() < 1e-3 * a["loss"].abs().max(), name
        elif name.endswith(".timing.json"):
            a, b = json.loads(path.read_text()), json.loads(new[name].read_text())
            assert set(a) <= set(b) and len(b["train_seconds"]) == len(a["train_seconds"]), name
        elif name.endswith(".json") and not name.endswith(".pt.json"):
            a, b = json.loads(path.read_text()), json.loads(new[name].read_text())
            accuracies = ("clean_accuracy", "validation_accuracy")
            assert {k: v for k, v in a.items() if k not in accuracies} == {
                k: v for k, v in b.items() if k not in accuracies}, name
            for key in accuracies:  # 256 clean images: round-off may move a prediction or two
                assert max(abs(u - v) for u, v in zip(a[key], b[key])) <= 2 / 256, (name, key)
