"""The workflow scripts' shared helpers: a job's log file and Table 1's clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

from rrr import input_gradients, mlp
from rrr.timing import cpu_seconds_per_call, gradient_seconds_per_explanation


def test_log_to_captures_prints_warnings_and_the_traceback(tmp_path: Path):
    log = tmp_path / "job.log"
    script = (
        "import warnings\nfrom rrr.experiments import log_to\n"
        f"log_to({str(log)!r})\nprint('progress 1')\nwarnings.warn('shaky')\nraise ValueError('the fix is X')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and run.stdout == "" and run.stderr == ""
    text = log.read_text()
    assert "progress 1" in text and "shaky" in text and "ValueError: the fix is X" in text


def test_cpu_seconds_per_call_returns_every_explanation_in_order():
    seconds, out = cpu_seconds_per_call(lambda v: v * 2, [1, 2, 3])
    assert out == [2, 4, 6] and seconds >= 0


def test_gradient_timing_returns_the_batched_gradients():
    model = mlp(4, 3, hidden=(8,), seed=0)
    x = torch.randn(5, 4)
    seconds, gradients = gradient_seconds_per_explanation(model, x, "prob", target=1)
    assert seconds >= 0
    torch.testing.assert_close(gradients, input_gradients(model, x, "prob", target=1))
