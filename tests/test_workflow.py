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

from golden import collect, differences
from rrr.pipeline.claims import COLUMNS, VERDICTS, headline, load_claims

REPO = Path(__file__).resolve().parents[1]


def _snakemake(cwd: Path, *args: str, mirror: Path | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RRR_DATA_MIRROR", None)
    if mirror is not None:
        env["RRR_DATA_MIRROR"] = str(mirror)
    if (cwd / "rrr").is_dir():  # a project with its own copy of the library: the workflow and its jobs use that one
        env["PYTHONPATH"] = os.pathsep.join([str(cwd), *filter(None, [env.get("PYTHONPATH")])])
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile", "config/smoke.yaml"]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1500)


def _report_index(html: str) -> tuple[dict, dict]:
    """A Snakemake HTML report's entries (path -> name, caption, ...) and each path's (category, subcategory)."""
    entries = json.loads(re.search(r"^\s*var results = (\{.*\});\s*$", html, re.M).group(1))
    categories = json.loads(re.search(r"^\s*var categories = (\{.*\});\s*$", html, re.M).group(1))
    groups = {path: (cat, sub) for cat, subs in categories.items() for sub, paths in subs.items() for path in paths}
    return entries, groups


def _planned_rules(cwd: Path, mirror: Path, *args: str) -> set[str]:
    """The rules a dry run would run (its job table), without the aggregate targets."""
    plan = _snakemake(cwd, "-n", *args, mirror=mirror)
    assert plan.returncode == 0, plan.stderr[-4000:]
    text = plan.stdout + plan.stderr
    table = text.split("Job stats:")[-1].split("total")[0] if "Job stats:" in text else ""
    rules = set(re.findall(r"^(\w+)\s+\d+$", table, re.M))
    return rules - {"all", "paper", "thesis", "thesis_adversarial"}


def _planned_figures(cwd: Path, mirror: Path) -> set[str]:
    """The figures (PNG paths) the default target draws, as the workflow plans them (a forced dry run)."""
    plan = _snakemake(cwd, "-n", "--forceall", mirror=mirror)
    assert plan.returncode == 0, plan.stderr[-4000:]
    outputs = re.findall(r"^\s+output: (.+)$", plan.stdout + plan.stderr, re.M)
    return {path for line in outputs for path in line.split(", ") if "/figures/" in path and path.endswith(".png")}


def _code_changes_rerun_what_they_affect(project: Path, mirror: Path) -> None:
    """On a completed run (issue 13): a comment or docstring reruns nothing; a plotting module reruns its figures
    only; the RRR loss reruns the trainings that use it (and what they feed), not the adversarial CNNs."""
    plots, losses = project / "rrr" / "plots" / "iris_cancer.py", project / "rrr" / "losses.py"
    original = {path: path.read_text() for path in (plots, losses)}
    losses.write_text(original[losses].replace('"""', '""" Reworded.', 1) + "\n# a comment\n")
    assert _planned_rules(project, mirror) == set()
    plots.write_text(original[plots] + "\nCHANGED = 1\n")
    losses.write_text(original[losses])
    figure_rules = _planned_rules(project, mirror) - {"provenance"}  # provenance.json records every rule's hash
    assert figure_rules and all(r.startswith(("paper_fig", "thesis_fig")) for r in figure_rules), figure_rules
    assert "paper_fig10_iris_cancer" in figure_rules and "paper_fig10_decoy_mnist" not in figure_rules
    plots.write_text(original[plots])
    losses.write_text(original[losses] + "\nCHANGED = 1\n")
    retrained = _planned_rules(project, mirror)
    assert {"decoy_mnist_train", "iris_cancer_train", "toy_color_train"} <= retrained, retrained
    assert not retrained & {"adversarial_train", "adversarial_evaluate", "thesis_fig14"}, retrained
    # What the README tells a user to run: the jobs whose code changed, each with its reason.
    stale = _snakemake(project, "-n", "--rerun-triggers", "params", mirror=mirror)
    jobs = re.split(r"\n(?=(?:local)?rule \w+:)", stale.stdout + stale.stderr)
    changed = {re.match(r"(?:local)?rule (\w+):", j).group(1) for j in jobs[1:] if "reason: Params have changed" in j}
    assert "decoy_mnist_train" in changed and changed <= retrained, (changed, retrained)
    losses.write_text(original[losses])
    assert _planned_rules(project, mirror) == set()


@pytest.mark.slow
def test_smoke_workflow_runs_end_to_end(project: Path, mirror: Path):
    shutil.copytree(REPO / "rrr", project / "rrr", ignore=shutil.ignore_patterns("__pycache__"))
    planned = _planned_figures(project, mirror)
    assert any("/paper-fig" in p for p in planned) and any("/thesis-fig" in p for p in planned), planned
    run = _snakemake(project, mirror=mirror)
    assert run.returncode == 0, run.stderr[-4000:]
    results = project / "results" / "smoke"
    figures = results / "figures"
    assert {str(p.relative_to(project)) for p in figures.glob("*.png")} == planned
    for png in figures.glob("*.png"):
        assert png.stat().st_size > 10_000 and png.with_suffix(".pdf").stat().st_size > 1_000, png.name
    assert len(pd.read_csv(results / "tables" / "paper-table1-lime-vs-gradient-runtime.csv")) == 4
    claims = pd.read_csv(results / "claims.csv")
    assert list(claims.columns) == COLUMNS
    assert set(claims["id"]) == set(load_claims(REPO / "config" / "claims"))
    assert claims["verdict"].isin(VERDICTS).all()
    assert (claims["holds"] == (claims["verdict"] == "holds")).all()
    # A number for every row but the results this pipeline does not measure (not comparable, no metric).
    measured = np.isfinite(claims["reproduced_value"])
    assert (measured | (claims["verdict"] == "not comparable")).all()
    judged = claims[measured]
    assert (judged["interval_low"] <= judged["reproduced_value"]).all()
    assert (judged["reproduced_value"] <= judged["interval_high"]).all()
    assert headline(claims["verdict"]) in (results / "logs" / "claims.log").read_text()
    # The numbers are the checked-in ones (tests/golden.py says when and how to regenerate them).
    changed = differences(json.loads((REPO / "tests" / "smoke_golden.json").read_text()), collect(results))
    assert not changed, "the smoke run's numbers moved:\n" + "\n".join(changed[:40])
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
    _code_changes_rerun_what_they_affect(project, mirror)


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
    planned = "\n".join(line for line in run.stdout.splitlines() if "is left out of `thesis`" not in line)
    assert "dataset=mnist" in planned and "notmnist" not in planned.replace(str(overlay), "")
    assert "thesis_fig15 is left out of `thesis` and `all`: it needs notmnist" in run.stdout  # figures.second_dataset


def test_missing_dataset_is_a_clear_error_and_leaves_nothing(project: Path, tmp_path: Path):
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    run = _snakemake(project, "paper_fig09", mirror=empty_mirror)
    assert run.returncode != 0
    assert "RRR_DATA_MIRROR" in run.stdout + run.stderr
    assert not (project / "results" / "raw" / "mnist").exists()


def _dry_run(project: Path, *targets: str, overlays: dict[str, dict] = {}, base: str = "config/smoke.yaml"):
    """``snakemake -n`` of ``targets`` (none: the default target) with ``base`` and YAML overlays written into the
    project's config folder; the data mirror is not needed to plan."""
    files = []
    for name, content in overlays.items():
        (project / "config" / name).write_text(yaml.safe_dump(content))
        files.append(f"config/{name}")
    env = {k: v for k, v in os.environ.items() if k != "RRR_DATA_MIRROR"}
    cmd = [sys.executable, "-m", "snakemake", *targets, "-n", "--cores", "1", "--configfile", base, *files]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def _planned(run: subprocess.CompletedProcess) -> dict[str, int]:
    """The job counts of a dry run's "Job stats" table."""
    table = run.stdout.split("Job stats:")[1].split("Reasons:")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


ALL_ADVERSARIAL_OFF = {"adversarial": {"datasets": {d: {"enabled": False} for d in ("mnist", "notmnist")}}}


def test_switched_off_adversarial_datasets_train_nothing(project: Path):
    """Every adversarial dataset off: the default target plans no CNN training; the figures that need them are
    left out of `thesis` and `all` with a log line, and asking for one says which switch is off."""
    run = _dry_run(project, overlays={"adversarial-off.yaml": ALL_ADVERSARIAL_OFF})
    assert run.returncode == 0, run.stderr[-3000:]
    planned = _planned(run)
    assert "paper_fig09" in planned and "claims" in planned  # the rest of the workflow is still there
    assert not {job for job in planned if job.startswith("adversarial_")}, planned
    log = run.stdout + run.stderr
    for figure in (14, 15, 16, 18, 19, 20, 21, 22):
        assert re.search(rf"thesis_fig{figure} is left out of `thesis` and `all`: .*switched off", log), figure
    assert "thesis_table2 is left out" in log
    asked = _dry_run(project, "thesis_fig16", overlays={"adversarial-off.yaml": ALL_ADVERSARIAL_OFF})
    assert asked.returncode != 0 and "thesis_fig16 cannot be built: it needs mnist, switched off" in (
        asked.stdout + asked.stderr
    )


def test_one_adversarial_dataset_off_drops_its_figures_and_rows(project: Path):
    """MNIST off: Figures 16, 19 and 20 (MNIST only) are left out; the per-dataset figures keep notMNIST's row."""
    off = {"adversarial": {"datasets": {"mnist": {"enabled": False}}}}
    run = _dry_run(project, "thesis", overlays={"no-mnist.yaml": off})
    assert run.returncode == 0, run.stderr[-3000:]
    planned = _planned(run)
    assert {"thesis_fig14", "thesis_fig15", "thesis_fig18", "thesis_fig21", "thesis_fig22"} <= set(planned)
    assert not {"thesis_fig16", "thesis_fig19", "thesis_fig20"} & set(planned)
    assert "dataset=mnist" not in run.stdout and "dataset=notmnist" in run.stdout


def _adv_train_resources(run: subprocess.CompletedProcess) -> str:
    job = run.stdout.split("rule adversarial_train:")[1].split("\n\n")[0]
    return re.search(r"resources: (.*)", job)[1]


def test_the_gpu_request_follows_the_configured_device(project: Path):
    """SLURM gets a GPU (the executor's `gpu` resource, --gpus) for the CNN jobs only with adversarial.device: cuda."""
    target = "results/smoke/metrics/adversarial-train/mnist/normal.json"
    cpu = _dry_run(project, target)
    cuda = _dry_run(project, target, overlays={"cuda.yaml": {"adversarial": {"device": "cuda"}}})
    assert cpu.returncode == 0 and cuda.returncode == 0, (cpu.stderr + cuda.stderr)[-3000:]
    assert re.search(r"\bgpu=0\b", _adv_train_resources(cpu)) and "gres" not in _adv_train_resources(cpu)
    assert re.search(r"\bgpu=1\b", _adv_train_resources(cuda))
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    assert not {r for r in profile.get("set-resources", {}) if r.startswith("adversarial_")}  # no fixed GPU request


def test_the_paper_scale_adversarial_overlay_is_a_profile_of_its_own(project: Path):
    """config/adversarial-paper.yaml: 15000 batches, 3 seeds, CUDA, in results/adversarial-paper/, with only the
    adversarial chapter (nothing of the paper is planned, claims.csv judges only the chapter's claims)."""
    run = _dry_run(project, base="config/adversarial-paper.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    planned = _planned(run)
    paper_or_extras = ("paper_", "decoy_", "toy", "iris_", "newsgroups_", "fae2d_", "hessian_", "l1l2_", "squares_",
                       "table1_")
    assert not {job for job in planned if job.startswith(paper_or_extras)}, planned
    assert planned["adversarial_train"] == 3 * 8  # MNIST, notMNIST, Fashion-MNIST × 6 defenses, 2 readings, the teacher
    assert {"claims", "thesis_fig14", "thesis_fig22"} <= set(planned)
    outputs = re.findall(r"^    output: (.*)$", run.stdout, re.M)
    assert outputs and all(o.startswith("results/adversarial-paper/") or o.startswith("results/raw/") for o in outputs)
    assert re.search(r"\bgpu=1\b", run.stdout)
    config = yaml.safe_load((REPO / "config" / "adversarial-paper.yaml").read_text())
    assert config["profile"] == "adversarial-paper" and config["adversarial"]["train"] == {"batches": 15000}
    assert config["adversarial"]["seeds"] == [0, 1, 2] and config["adversarial"]["device"] == "cuda"


def _resources_by_rule(run: subprocess.CompletedProcess) -> dict[str, set[str]]:
    """Each planned rule's `resources:` lines of a dry run (the text of every job of the rule)."""
    found: dict[str, set[str]] = {}
    for job in run.stdout.split("\nrule ")[1:]:
        name, line = job.split(":", 1)[0], re.search(r"resources: (.*)", job)
        found.setdefault(name, set()).add(line[1] if line else "")
    return found


def test_config_device_cuda_asks_a_gpu_for_every_training_job_and_none_for_figures(project: Path):
    """`--config device=cuda`: the training jobs of Figure 9 (and, adversarial.device being null, the CNNs') ask
    SLURM for a GPU; the data and figure jobs do not. The default (cpu) asks none."""
    targets = ["paper_fig09", "results/smoke/metrics/adversarial-train/mnist/normal.json"]
    env = {k: v for k, v in os.environ.items() if k != "RRR_DATA_MIRROR"}
    cmd = [sys.executable, "-m", "snakemake", *targets, "-n", "--cores", "1", "--configfile", "config/smoke.yaml"]
    cuda = subprocess.run([*cmd, "--config", "device=cuda"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=600)
    cpu = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert cuda.returncode == 0 and cpu.returncode == 0, (cuda.stderr + cpu.stderr)[-3000:]
    on_gpu, on_cpu = _resources_by_rule(cuda), _resources_by_rule(cpu)
    for rule in ("decoy_mnist_train", "adversarial_train"):
        assert all(re.search(r"\bgpu=1\b", r) for r in on_gpu[rule]), (rule, on_gpu[rule])
        assert all(re.search(r"\bgpu=0\b", r) for r in on_cpu[rule]), (rule, on_cpu[rule])
    for rule in ("paper_fig09", "decoy_mnist_data"):
        assert not any(re.search(r"\bgpu=1\b", r) for r in on_gpu[rule]), (rule, on_gpu[rule])
