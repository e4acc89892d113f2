"""The workflow's messages for a folder another run has locked and for an unknown target, and jobs that stop when
the snakemake that started them is killed (rrr.pipeline.runs, rrr.pipeline.jobs.stop_with_snakemake)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rrr.pipeline.runs import is_snakemake_command, lock_note, snakemake_runs, target_rules, unknown_targets

REPO = Path(__file__).resolve().parents[1]
TARGET = "results/smoke/metrics/toy2d/two-class.json"
linux = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def _snakemake(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "snakemake", *args]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=300)


def _fake_snakemake(tmp_path: Path, code: str, cwd: Path) -> subprocess.Popen:
    """A python process whose command line reads as snakemake's (``python .../bin/snakemake``), running ``code``."""
    exe = tmp_path / "bin" / "snakemake"
    exe.parent.mkdir(exist_ok=True)
    exe.write_text(f"#!{sys.executable}\n{code}\n")
    exe.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([str(exe)], cwd=cwd, env=env)


def test_only_snakemake_itself_counts_as_a_run():
    assert is_snakemake_command([b"/venv/bin/python", b"/venv/bin/snakemake", b"--cores"])
    assert is_snakemake_command([b"python", b"-m", b"snakemake"])
    assert is_snakemake_command([b"snakemake", b"-n"])
    assert not is_snakemake_command([b"python", b"/repo/.snakemake/scripts/tmpab12.train.py"])
    assert not is_snakemake_command([b"bash", b"-c", b"set -euo pipefail; python .snakemake/scripts/x.py"])


def test_an_unknown_target_lists_the_valid_ones(project: Path):
    run = _snakemake(project, "-n", "paper_fig99")
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "Unknown target 'paper_fig99'" in out and "did you mean paper_fig09" in out, out[-3000:]
    for name in ("all", "paper", "thesis", "claims", "paper_fig01", "paper_fig13", "paper_table1", "thesis_fig25"):
        assert f" {name}," in out or out.rstrip().endswith(name), name
    rules = ["paper", "paper_fig10", "paper_fig09", "decoy_mnist_train", "all", "thesis_table2"]
    assert target_rules(rules) == ["all", "paper", "paper_fig09", "paper_fig10", "thesis_table2"]
    assert unknown_targets(["paper_fig99", "paper", "results/x.json", "README"], rules, lambda t: t == "README") == [
        "paper_fig99"
    ]


@linux
def test_a_locked_folder_names_the_live_run_and_says_to_wait(project: Path, tmp_path: Path):
    locks = project / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text(TARGET + "\n")  # as a run building TARGET writes it
    other = _fake_snakemake(tmp_path, "import time; time.sleep(120)", cwd=project)
    try:
        deadline = time.monotonic() + 20
        while other.pid not in dict(snakemake_runs(project)):
            assert time.monotonic() < deadline, "the fake run never showed in /proc"
            time.sleep(0.2)
        run = _snakemake(project, TARGET, "--cores", "1", "--configfile", "config/smoke.yaml")
    finally:
        other.kill()
        other.wait()
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "cannot be locked" in out, out[-3000:]
    assert f"{project.resolve()} is locked by another snakemake run, still alive" in out, out[-3000:]
    assert f"pid {other.pid}" in out and "wait for that run to end" in out and "Do not `snakemake --unlock`" in out
    # The run gone, the lock is a leftover: now --unlock is the advice.
    note = lock_note(project)
    assert "no snakemake runs there" in note and "`snakemake --unlock` removes it" in note, note


@linux
def test_a_job_stops_when_its_snakemake_is_killed(tmp_path: Path):
    log, pid_file = tmp_path / "job.log", tmp_path / "job.pid"
    job = textwrap.dedent(f"""
        import os, time
        from rrr.pipeline.jobs import start_job
        start_job({str(log)!r}, 1)
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        time.sleep(120)
    """)
    parent = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {job!r}])\ntime.sleep(120)"
    snakemake = _fake_snakemake(tmp_path, parent, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline and snakemake.poll() is None, "the job never started"
            time.sleep(0.2)
        job_pid = int(pid_file.read_text())
        snakemake.send_signal(signal.SIGKILL)
        snakemake.wait()
        deadline = time.monotonic() + 15
        while Path(f"/proc/{job_pid}").exists() and "Z" not in Path(f"/proc/{job_pid}/stat").read_text().split()[2]:
            if time.monotonic() > deadline:
                os.kill(job_pid, signal.SIGKILL)
                pytest.fail("the job ran on after its snakemake was killed")
            time.sleep(0.2)
    finally:
        snakemake.kill()
    assert "has ended: this job stops too" in log.read_text()
