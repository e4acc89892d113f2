"""The workflow scripts' shared helpers: a job's log file, Table 1's clock, metrics without timings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rrr import input_gradients, mlp
from rrr.paper.timing import cpu_seconds_per_call, gradient_seconds_per_explanation


def test_log_to_captures_prints_warnings_and_the_traceback(tmp_path: Path):
    log = tmp_path / "job.log"
    script = (
        "import warnings\nfrom rrr.pipeline.jobs import log_to\n"
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

    from rrr.pipeline.jobs import timing_path, write_json

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

    from rrr.pipeline.jobs import write_json

    path = tmp_path / "results" / "smoke" / "benchmarks" / "train-seconds.json"
    write_json({"train_seconds": [1.5], "seconds_per_batch": [0.1]}, path)
    assert json.loads(path.read_text()) == {"train_seconds": [1.5], "seconds_per_batch": [0.1]}


def test_job_chunks_split_a_sweep_into_consecutive_jobs():
    from rrr.pipeline.chunks import job_chunks

    assert job_chunks(5, 0) == [[0, 1, 2, 3, 4]]
    assert job_chunks(5, 2) == [[0, 1], [2, 3], [4]]
    assert job_chunks(3, 7) == [[0, 1, 2]]
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="models_per_job must be an integer ≥ 0"):
            job_chunks(5, bad)


def test_a_sweep_trained_in_jobs_equals_the_sweep_trained_as_one_stack():
    """What config models_per_job relies on: each model of a stack trains as it would in any other stack."""
    import numpy as np

    from rrr.pipeline.replicates import merge_replicates, train_replicates

    g = torch.Generator().manual_seed(0)
    x, y = torch.randint(0, 256, (300, 49), generator=g).float(), torch.randint(0, 3, (300,), generator=g)
    mask = torch.rand(300, 49, generator=g) > 0.8
    seeds, l1 = [5, 6, 7, 8, 9], [0.0, 1.0, 10.0, 100.0, 1000.0]
    train = {"epochs": 2, "batch_size": 128, "shuffle": True}
    whole, history, metrics = train_replicates(x, y, mask, seeds=seeds, l1=l1, train=train, evaluate={"test": (x, y)})
    parts = [
        train_replicates(x, y, mask, seeds=seeds[i : i + 2], l1=l1[i : i + 2], train=train,
                         evaluate={"test": (x, y)}, shuffle_seed=seeds[0])
        for i in (0, 2, 4)
    ]  # fmt: skip
    merged, merged_history, merged_metrics = merge_replicates(
        [p[0] for p in parts], [p[1].to_frame() for p in parts], [p[2] for p in parts]
    )
    assert all(torch.equal(a, b) for a, b in zip(whole.parameters(), merged.parameters(), strict=True))
    assert merged_history.equals(history.to_frame())
    for key in ("seeds", "l1", "train_accuracy", "test_accuracy", "initial_right_answers", "initial_right_reasons"):
        assert merged_metrics[key] == metrics[key], key
    assert np.isclose(merged_metrics["train_seconds"], sum(p[2]["train_seconds"] for p in parts))
    with pytest.raises(ValueError, match="'round' differs between the parts"):
        merge_replicates([p[0] for p in parts[:2]], [p[1].to_frame() for p in parts[:2]],
                         [{**parts[0][2], "round": 1}, {**parts[1][2], "round": 2}])  # fmt: skip
