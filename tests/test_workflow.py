"""The Snakemake workflow end to end (smoke profile) in a temporary directory, and its bad-input errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def _snakemake(cwd: Path, *args: str, mirror: Path | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RRR_DATA_MIRROR", None)
    if mirror is not None:
        env["RRR_DATA_MIRROR"] = str(mirror)
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile", "config/smoke.yaml"]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1500)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for part in ("workflow", "config"):
        shutil.copytree(REPO / part, tmp_path / part)
    return tmp_path


@pytest.mark.slow
def test_smoke_workflow_runs_end_to_end(project: Path, mirror: Path):
    run = _snakemake(project, mirror=mirror)
    assert run.returncode == 0, run.stderr[-4000:]
    results = project / "results" / "smoke"
    for stem in ("paper-fig09-decoy-mnist",):
        assert (results / "figures" / f"{stem}.png").stat().st_size > 10_000
        assert (results / "figures" / f"{stem}.pdf").stat().st_size > 1_000
    claims = pd.read_csv(results / "claims.csv")
    assert list(claims.columns[:6]) == ["claim", "source", "paper_value", "reproduced_value", "tolerance", "holds"]
    expected = yaml.safe_load((REPO / "config" / "claims.yaml").read_text())
    assert set(claims["id"]) == set(expected)
    assert claims["reproduced_value"].between(-1, 1).all()
    # A second run finds everything up to date: models and gradients are cached.
    again = _snakemake(project, "-n", mirror=mirror)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


def test_malformed_config_is_rejected_by_the_schema(project: Path):
    cfg = yaml.safe_load((project / "config" / "smoke.yaml").read_text())
    cfg["decoy_mnist"]["train"]["epochs"] = "many"
    (project / "config" / "smoke.yaml").write_text(yaml.safe_dump(cfg))
    run = _snakemake(project, "-n", mirror=None)
    assert run.returncode != 0
    assert "epochs" in run.stdout + run.stderr and "many" in run.stdout + run.stderr


def test_missing_dataset_is_a_clear_error_and_leaves_nothing(project: Path, tmp_path: Path):
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    run = _snakemake(project, "paper_fig09", mirror=empty_mirror)
    assert run.returncode != 0
    assert "RRR_DATA_MIRROR" in run.stdout + run.stderr
    assert not (project / "results" / "raw" / "mnist").exists()
