"""The Snakemake workflow end to end (smoke profile) in a temporary directory, and its bad-input errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rrr.claims import COLUMNS, VERDICTS, headline, load_claims

REPO = Path(__file__).resolve().parents[1]


def _snakemake(cwd: Path, *args: str, mirror: Path | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RRR_DATA_MIRROR", None)
    if mirror is not None:
        env["RRR_DATA_MIRROR"] = str(mirror)
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile", "config/smoke.yaml"]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1500)


def _report_index(html: str) -> tuple[dict, dict]:
    """A Snakemake HTML report's entries (path -> name, caption, ...) and each path's (category, subcategory)."""
    entries = json.loads(re.search(r"^\s*var results = (\{.*\});\s*$", html, re.M).group(1))
    categories = json.loads(re.search(r"^\s*var categories = (\{.*\});\s*$", html, re.M).group(1))
    groups = {path: (cat, sub) for cat, subs in categories.items() for sub, paths in subs.items() for path in paths}
    return entries, groups


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for part in ("workflow", "config", "profiles"):
        shutil.copytree(REPO / part, tmp_path / part)
    return tmp_path


@pytest.mark.slow
def test_smoke_workflow_runs_end_to_end(project: Path, mirror: Path):
    run = _snakemake(project, mirror=mirror)
    assert run.returncode == 0, run.stderr[-4000:]
    results = project / "results" / "smoke"
    figures = results / "figures"
    paper_figures = {int(p.name[9:11]) for p in figures.glob("paper-fig*.png")}
    assert paper_figures == set(range(1, 14)), f"missing paper figures: {set(range(1, 14)) - paper_figures}"
    for png in figures.glob("*.png"):
        assert png.stat().st_size > 10_000 and png.with_suffix(".pdf").stat().st_size > 1_000, png.name
    assert len(pd.read_csv(results / "tables" / "paper-table1-lime-vs-gradient-runtime.csv")) == 4
    claims = pd.read_csv(results / "claims.csv")
    assert list(claims.columns) == COLUMNS
    assert set(claims["id"]) == set(load_claims(REPO / "config" / "claims"))
    assert np.isfinite(claims["reproduced_value"]).all() and claims["verdict"].isin(VERDICTS).all()
    assert (claims["holds"] == (claims["verdict"] == "holds")).all()
    assert (claims["interval_low"] <= claims["reproduced_value"]).all()
    assert (claims["reproduced_value"] <= claims["interval_high"]).all()
    assert headline(claims["verdict"]) in (results / "logs" / "claims.log").read_text()
    # A second run finds everything up to date: models and gradients are cached.
    again = _snakemake(project, "-n", mirror=mirror)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
    # One HTML report (README, "The report"): every figure and table, captioned and grouped by paper/thesis and
    # number, and the claims as a table with a verdict per row, the headline as its title.
    report = _snakemake(project, "--report", "results/smoke/report.html", mirror=mirror)
    assert report.returncode == 0, report.stderr[-4000:]
    entries, groups = _report_index((results / "report.html").read_text())
    made = [*(results / "figures").glob("*.png"), *(results / "tables").glob("*-table*.csv")]
    for path in (str(p.relative_to(project)) for p in made):
        assert path in entries and entries[path]["caption"], f"{path} is not in the report, or has no caption"
        category, subcategory = groups[path]
        assert category in ("Paper", "Thesis") and re.match(r"(Figure|Table) \d+", subcategory), (path, groups[path])
    assert {"results/smoke/claims.csv", "results/smoke/claims.html"} <= set(entries)
    page = (results / "claims.html").read_text()
    verdicts = re.findall(r">(holds|differs|inconclusive|reduced scale|not comparable)</td>", page)
    assert verdicts == list(claims["verdict"])
    assert f"<title>{headline(claims['verdict'])}</title>" in page


def test_malformed_config_is_rejected_by_the_schema(project: Path):
    cfg = yaml.safe_load((project / "config" / "smoke.yaml").read_text())
    cfg["decoy_mnist"]["train"]["epochs"] = "many"
    (project / "config" / "smoke.yaml").write_text(yaml.safe_dump(cfg))
    run = _snakemake(project, "-n", mirror=None)
    assert run.returncode != 0
    assert "epochs" in run.stdout + run.stderr and "many" in run.stdout + run.stderr


def test_claims_of_a_switched_off_dataset_are_left_out(project: Path):
    overlay = project / "config" / "no-notmnist.yaml"
    overlay.write_text(yaml.safe_dump({"adversarial": {"datasets": {"notmnist": {"enabled": False}}}}))
    env = {k: v for k, v in os.environ.items() if k != "RRR_DATA_MIRROR"}
    cmd = [sys.executable, "-m", "snakemake", "claims", "-n", "--cores", "1", "--configfile", "config/smoke.yaml",
           str(overlay)]
    run = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "dataset=mnist" in run.stdout and "notmnist" not in run.stdout.replace(str(overlay), "")


def test_missing_dataset_is_a_clear_error_and_leaves_nothing(project: Path, tmp_path: Path):
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    run = _snakemake(project, "paper_fig09", mirror=empty_mirror)
    assert run.returncode != 0
    assert "RRR_DATA_MIRROR" in run.stdout + run.stderr
    assert not (project / "results" / "raw" / "mnist").exists()
