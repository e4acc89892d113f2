"""The wall-time predictor replays a plan's DAG: its critical path and list schedule on N cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from rrr.pipeline.walltime import critical_path, job_seconds, parse_plan, predicted_wall

PLAN = """Building DAG of jobs...
rule data:
    output: d.npz
    jobid: 1
    benchmark: bench/data.tsv
[Thu Nov 26 06:39:47 2026]
rule train:
    input: d.npz
    output: a.pt, a.json
    jobid: 2
    benchmark: bench/train-a.tsv
    threads: 2
    wildcards: model=a
[Thu Nov 26 06:39:47 2026]
rule train:
    input: d.npz
    output: b.pt, b.json
    jobid: 3
    benchmark: bench/train-b.tsv
[Thu Nov 26 06:39:47 2026]
localrule figure:
    input: a.json, b.json
    output: fig.png
    jobid: 4
"""


def test_the_plan_s_dag_replays_into_a_critical_path_and_a_schedule(tmp_path: Path):
    (tmp_path / "bench").mkdir()
    for name, s in (("data", 10.0), ("train-a", 60.0), ("train-b", 30.0)):
        (tmp_path / "bench" / f"{name}.tsv").write_text(f"s\th:m:s\n{s}\t0:00:{s:02.0f}\n")
    jobs = parse_plan(PLAN)
    assert [j.rule for j in jobs] == ["data", "train", "train", "figure"] and jobs[1].threads == 2
    seconds = job_seconds(jobs, tmp_path, default=5.0)
    assert seconds == [10.0, 60.0, 30.0, 5.0]
    assert critical_path(jobs, seconds) == (75.0, ["data", "train", "figure"])
    assert predicted_wall(jobs, seconds, 1) == pytest.approx(105.0)  # one core: everything in a row
    assert predicted_wall(jobs, seconds, 2) == pytest.approx(105.0)  # train a holds both cores, b waits
    assert predicted_wall(jobs, seconds, 3) == pytest.approx(75.0)  # the critical path


def test_a_job_without_a_record_takes_its_rule_s_mean_record(tmp_path: Path):
    """The jobs of a split sweep (config models_per_job) of which only some were measured."""
    (tmp_path / "bench").mkdir()
    for name, s in (("data", 10.0), ("train-a", 60.0)):
        (tmp_path / "bench" / f"{name}.tsv").write_text(f"s\th:m:s\n{s}\t0:00:{s:02.0f}\n")
    assert job_seconds(parse_plan(PLAN), tmp_path, default=5.0) == [10.0, 60.0, 60.0, 5.0]


def test_a_job_of_a_split_sweep_takes_the_mean_of_its_own_sweep_first(tmp_path: Path):
    """Figure 9's plain and annotated trainings split into jobs: a plain job counts the plain jobs measured."""
    blocks = [
        f"rule train:\n    input: d.npz\n    output: {c}{j}.pt\n    jobid: {i}\n"
        f"    benchmark: bench/train-{c}-job{j}.tsv\n"
        for i, (c, j) in enumerate([(c, j) for c in ("plain", "annotated") for j in range(3)])
    ]
    (tmp_path / "bench").mkdir()
    for name, s in (("train-plain-job0", 40.0), ("train-plain-job1", 50.0), ("train-annotated-job0", 120.0)):
        (tmp_path / "bench" / f"{name}.tsv").write_text(f"s\th:m:s\n{s}\t0:00:00\n")
    seconds = job_seconds(parse_plan("Building DAG of jobs...\n" + "".join(blocks)), tmp_path, default=5.0)
    assert seconds == [40.0, 50.0, 45.0, 120.0, 120.0, 120.0]


def test_a_cached_rule_s_record_is_its_output_under_benchmarks_written_by_its_script(tmp_path: Path):
    """A cached training rule has no ``benchmark:`` line; its record is the output under benchmarks/, written by
    rrr.pipeline.jobs.write_record in Snakemake's format, and read as a benchmark record is."""
    from rrr.pipeline.jobs import RECORD_COLUMNS, write_record

    plan = "Building DAG of jobs...\nrule train:\n    input: d.npz\n    output: m.pt, m.pt.json, results/smoke/benchmarks/train.tsv\n    jobid: 1\n"
    (job,) = parse_plan(plan)
    assert job.benchmark == "results/smoke/benchmarks/train.tsv"
    write_record(tmp_path / job.benchmark, started=0.0)
    record = (tmp_path / job.benchmark).read_text().splitlines()
    assert record[0].split("\t") == list(RECORD_COLUMNS)
    assert job_seconds([job], tmp_path, default=5.0)[0] > 1e9  # seconds since the epoch: `s` is read
