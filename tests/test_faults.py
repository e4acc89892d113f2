"""Faults a user meets between runs: the data mirror spelled another way (or unset) and run-to-run metrics.

Where the raw bytes come from must not invalidate bytes that passed their checksum, and two runs of the same job
write the same metrics file, byte for byte (wall-clock times go beside it, ``<name>.timing.json``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG = ("--configfile", "config/smoke.yaml")


def _snakemake(cwd: Path, *args: str, mirror: str | None, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RRR_DATA_MIRROR"}
    if mirror is not None:
        env["RRR_DATA_MIRROR"] = mirror
    cmd = [sys.executable, "-m", "snakemake", *args]  # targets first: --configfile takes every word after it
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_mirror_spelling_or_no_mirror_reruns_nothing(project: Path, mirror: Path):
    target = "results/smoke/data/decoy-mnist.npz"  # needs results/raw/mnist
    run = _snakemake(project, target, "--cores", "1", *CONFIG, mirror=str(mirror))
    assert run.returncode == 0, run.stderr[-4000:]
    raw = project / "results" / "raw" / "mnist"
    before = {p.name: p.stat().st_mtime_ns for p in raw.iterdir()}
    (project / "mirror-link").symlink_to(mirror, target_is_directory=True)
    (project / "mirror-overlay.yaml").write_text(yaml.safe_dump({"data_mirror": os.path.relpath(mirror, project)}))
    spellings = {
        "trailing slash": (str(mirror) + "/", ()),
        "relative path": (os.path.relpath(mirror, project), ()),
        "through a symlink": ("mirror-link", ()),
        "unset": (None, ()),
        "in the config instead": (None, ("mirror-overlay.yaml",)),
    }
    for how, (spelled, overlay) in spellings.items():
        dry = _snakemake(project, target, "-n", "--cores", "1", *CONFIG, *overlay, mirror=spelled)
        assert dry.returncode == 0, (how, dry.stderr[-3000:])
        assert "Nothing to be done" in dry.stdout + dry.stderr, (how, dry.stdout[-3000:])
    # Offline with the variable unset: nothing runs, nothing is deleted.
    again = _snakemake(project, target, "--cores", "1", *CONFIG, mirror=None)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr, again.stderr[-3000:]
    assert {p.name: p.stat().st_mtime_ns for p in raw.iterdir()} == before
    # A fresh checkout (every workflow file newer than the data) reruns jobs whose scripts are newer than their
    # outputs, but not the acquisition: the data passed its checksums.
    for path in (project / "workflow").rglob("*"):
        os.utime(path)
    fresh = _snakemake(project, target, "-n", "--cores", "1", *CONFIG, mirror=None)
    assert fresh.returncode == 0 and "acquire_dataset" not in fresh.stdout + fresh.stderr, fresh.stdout[-3000:]


@pytest.mark.slow
def test_metrics_are_byte_identical_run_to_run(project: Path):
    metrics = project / "results" / "smoke" / "metrics" / "toy2d" / "two-class.json"
    target = str(metrics.relative_to(project))
    first = _snakemake(project, target, "--cores", "1", *CONFIG, mirror=None)
    assert first.returncode == 0, first.stderr[-4000:]
    written = metrics.read_bytes()
    assert "train_seconds" not in json.loads(written)
    timing = json.loads(metrics.with_name("two-class.timing.json").read_text())
    assert timing["train_seconds"] > 0
    second = _snakemake(project, target, "--forcerun", "toy2d_train", "--cores", "1", *CONFIG, mirror=None)
    assert second.returncode == 0, second.stderr[-4000:]
    assert "toy2d_train" in second.stdout + second.stderr  # it did run again
    assert metrics.read_bytes() == written


@pytest.mark.slow
def test_a_second_run_of_the_same_targets_is_refused_and_the_first_goes_on(project: Path):
    """Two runs at once in one folder: Snakemake's lock turns the second away before it touches anything."""
    # Long enough (tens of seconds on an idle machine) that the second run starts while the first trains.
    (project / "longer.yaml").write_text("toy2d: {train: {epochs: 4000}}\n")
    metrics = project / "results" / "smoke" / "metrics" / "toy2d" / "two-class.json"
    command = [str(metrics.relative_to(project)), "--cores", "1", *CONFIG, "longer.yaml"]
    env = {k: v for k, v in os.environ.items() if k != "RRR_DATA_MIRROR"}
    log = project / "first-run.log"
    with log.open("w") as out:
        first = subprocess.Popen([sys.executable, "-m", "snakemake", *command], cwd=project, env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 600
            while "rule toy2d_train:" not in log.read_text():
                assert first.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
            second = _snakemake(project, *command, mirror=None)
            assert first.poll() is None, "the first run ended before the second started: lengthen its training"
        except BaseException:
            first.kill()
            raise
        assert first.wait(timeout=900) == 0, log.read_text()[-3000:]
    out = second.stdout + second.stderr
    assert second.returncode != 0 and "cannot be locked" in out, out[-3000:]
    assert json.loads(metrics.read_text())["train_accuracy"]  # the first run's result, whole
    final = _snakemake(project, *command, "-n", mirror=None)
    assert final.returncode == 0 and "Nothing to be done" in final.stdout + final.stderr
