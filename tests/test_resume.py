"""Resumability: kill the workflow in the middle of training, run it again, lose nothing and redo only what was cut.

The run is killed with SIGKILL (a crash, an OOM kill, a lost node: nothing gets to clean up). The second run is
what the README says to do: ``snakemake --unlock``, then the same command; ``profiles/default`` sets
``rerun-incomplete``, so the jobs that were running are redone and every finished job's outputs are kept.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from golden import metrics_differences

REPO = Path(__file__).resolve().parents[1]
TARGET = "paper_fig09"
TRAIN = "decoy_mnist_train"
# One training job per condition and seed (config models_per_job=1; the smoke profile's seeds are 0 and 1): more jobs
# to cut between, and the merged models are checked against the golden file's (one stacked job per condition).
TRAIN_JOBS = {f"condition={c}, job={j}" for c in ("plain", "annotated", "baseline") for j in (0, 1)}
COMMAND = [TARGET, "--cores", "2", "--config", "models_per_job=1", "--configfile", "config/smoke.yaml"]


def _env(mirror: Path) -> dict[str, str]:
    return dict(os.environ, RRR_DATA_MIRROR=str(mirror), PYTHONUNBUFFERED="1")


def _snakemake(cwd: Path, *args: str, mirror: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", *args]
    return subprocess.run(cmd, cwd=cwd, env=_env(mirror), capture_output=True, text=True, timeout=1200)


def _started(log: str) -> dict[str, tuple[str, str, list[str]]]:
    """jobid -> (rule, wildcards, outputs) of every job a snakemake log shows starting."""
    jobs = {}
    for rule, body in re.findall(r"^(?:local)?rule (\w+):\n((?:    .*\n?)+)", log, flags=re.M):
        fields = dict(re.findall(r"^    (\w+): (.*)$", body, flags=re.M))
        outputs = fields.get("output", "").split(", ") if fields.get("output") else []
        jobs[fields["jobid"]] = (rule, fields.get("wildcards", ""), outputs)
    return jobs


def _group_gone(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _finished(log: str) -> set[str]:
    return set(re.findall(r"^Finished jobid: (\d+)", log, flags=re.M))


@pytest.mark.slow
def test_killed_run_redoes_only_the_unfinished_jobs(project: Path, mirror: Path):
    log_path = project / "killed-run.log"
    with log_path.open("w") as out:
        run = subprocess.Popen(
            [sys.executable, "-m", "snakemake", *COMMAND],
            cwd=project,
            env=_env(mirror),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill reaches every job it started
        )

    def training_cut_midway() -> bool:
        """At least one training finished and another one still running."""
        log = log_path.read_text()
        trains = [jobid for jobid, (rule, _, _) in _started(log).items() if rule == TRAIN]
        done = _finished(log)
        return any(j in done for j in trains) and any(j not in done for j in trains)

    try:
        deadline = time.monotonic() + 900
        while not training_cut_midway():
            assert run.poll() is None, "the run ended before it could be killed:\n" + log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert _group_gone(run.pid, seconds=30)  # no job of the killed run lives on

    log = log_path.read_text()
    started, finished = _started(log), _finished(log)
    cut = {wc for jobid, (rule, wc, _) in started.items() if rule == TRAIN and jobid not in finished}
    done_jobs = {(rule, wc) for jobid, (rule, wc, _) in started.items() if jobid in finished}
    kept = {
        project / path: (project / path).stat().st_mtime_ns
        for jobid, (_, _, outputs) in started.items()
        if jobid in finished
        for path in outputs
    }
    assert cut and any(rule == TRAIN for rule, _ in done_jobs), log[-3000:]

    unlock = _snakemake(project, "--unlock", "--configfile", "config/smoke.yaml", mirror=mirror)
    assert unlock.returncode == 0, unlock.stderr[-3000:]
    again = _snakemake(project, *COMMAND, mirror=mirror)
    assert again.returncode == 0, again.stderr[-4000:]
    redone = {(rule, wc) for rule, wc, _ in _started(again.stdout + again.stderr).values()}

    trained_before = {wc for rule, wc in done_jobs if rule == TRAIN}
    trained_now = {wc for rule, wc in redone if rule == TRAIN}
    assert cut <= trained_now  # the trainings that were cut are redone ...
    assert trained_before | trained_now == TRAIN_JOBS  # ... with the ones not yet begun
    assert not redone & done_jobs  # nothing that had finished runs again ...
    assert {path: path.stat().st_mtime_ns for path in kept} == kept  # ... and its outputs are untouched
    assert (project / "results" / "smoke" / "figures" / "paper-fig09-decoy-mnist.png").stat().st_size > 10_000
    final = _snakemake(project, *COMMAND, "-n", mirror=mirror)
    assert final.returncode == 0 and "Nothing to be done" in final.stdout + final.stderr
    compared, changed = metrics_differences(project / "results" / "smoke", "decoy-mnist")
    assert compared > 20 and not changed, changed[:20]
