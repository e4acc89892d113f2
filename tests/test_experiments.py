"""The workflow scripts' shared helpers: a job's log file, Table 1's clock, metrics without timings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

from rrr import input_gradients, mlp
from rrr.paper.timing import cpu_seconds_per_call, gradient_seconds_per_explanation


def test_log_to_captures_prints_warnings_and_the_traceback(tmp_path: Path):
    log = tmp_path / "job.log"
    script = (
        "import warnings\nfrom rrr.jobs import log_to\n"
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


def test_metrics_files_keep_wall_clock_times_apart(tmp_path: Path):
    import json

    from rrr.jobs import timing_path, write_json

    path = tmp_path / "results" / "smoke" / "metrics" / "toy2d" / "plain.json"
    write_json({"seeds": [0, 1], "train_seconds": 3.2, "test_accuracy": [0.9, 0.8]}, path)
    assert json.loads(path.read_text()) == {"seeds": [0, 1], "test_accuracy": [0.9, 0.8]}
    assert timing_path(path) == path.with_name("plain.timing.json")
    assert json.loads(timing_path(path).read_text()) == {"train_seconds": 3.2}
    first = path.read_bytes()
    write_json({"seeds": [0, 1], "train_seconds": 4.7, "test_accuracy": [0.9, 0.8]}, path)
    assert path.read_bytes() == first  # another run, another time: the same metrics file
    assert json.loads(timing_path(path).read_text()) == {"train_seconds": 4.7}
    assert sorted(p.name for p in path.parent.iterdir()) == ["plain.json", "plain.timing.json"]  # no temp files


def test_json_outside_metrics_is_written_whole(tmp_path: Path):
    """A timings record of its own (results/<profile>/benchmarks/...) keeps its seconds."""
    import json

    from rrr.jobs import write_json

    path = tmp_path / "results" / "smoke" / "benchmarks" / "train-seconds.json"
    write_json({"train_seconds": [1.5], "seconds_per_batch": [0.1]}, path)
    assert json.loads(path.read_text()) == {"train_seconds": [1.5], "seconds_per_batch": [0.1]}
