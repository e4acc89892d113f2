"""The workflow's code is clean: `snakefmt --check workflow` and `snakemake --lint` find nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *cmd], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_snakefmt_finds_nothing_to_reformat():
    run = _run("snakefmt", "--check", "workflow")
    assert run.returncode == 0, "snakefmt would reformat (fix: snakefmt workflow):\n" + run.stderr[-3000:]


def test_snakemake_lint_finds_nothing():
    run = _run("snakemake", "--lint", "--nolock", "--configfile", "config/smoke.yaml")
    output = run.stdout + run.stderr
    findings = re.findall(r"^Lints for (.*):$|^    \* (.*):$", output, flags=re.M)
    summary = "\n".join(f"{where}" if where else f"    {what}" for where, what in findings)
    assert run.returncode == 0 and not findings, f"snakemake --lint:\n{summary or output[-3000:]}"
