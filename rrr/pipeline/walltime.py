"""Critical path and predicted wall time of a workflow target on N cores, from its plan and the jobs' benchmarks.

Every computing rule leaves a benchmark record (``results/<profile>/benchmarks/*.tsv``, wall seconds in column
``s``): Snakemake's, by ``benchmark:``, or, for the training rules that the between-workflow cache (``cache:``) may
restore, one the script writes as a declared output (:func:`rrr.pipeline.jobs.write_record`, the same format), so
a model taken from the cache brings its producer's measured time. Given a dry run of a target (``snakemake <target> -n --forceall``, which lists every job with its inputs,
outputs, benchmark and threads), this module rebuilds the DAG from the file names and replays it:

- the **critical path**, the longest chain of dependent jobs, is the wall time no number of cores can beat;
- the **predicted wall time on N cores** schedules ready jobs longest-remaining-path first, each holding
  ``threads`` cores, as Snakemake's scheduler roughly does.

    snakemake paper -n --forceall > plan.txt      # after a completed run of the same profile
    python -m rrr.pipeline.walltime plan.txt --cores 2 8 32 128

A job without a benchmark record counts the mean record of the measured jobs of its sweep (the same benchmark path
but for the job number), else of its rule's other jobs, and where its rule has none
(figures, tables: seconds each) ``--default`` seconds. Measured durations
include whatever else ran on the machine at the time, so a prediction from a loaded machine is pessimistic.
"""

from __future__ import annotations

import argparse
import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


RECORD_DIR = "benchmarks"  # results/<profile>/benchmarks/: records, by ``benchmark:`` or as a job's own output


@dataclass
class Job:
    rule: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    benchmark: str | None = None
    threads: int = 1


def parse_plan(text: str) -> list[Job]:
    """The jobs of a ``snakemake -n`` listing (``rule X:`` / ``localrule X:`` blocks); a job's record is its
    ``benchmark:`` line, else its output under ``benchmarks/``."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text)[1:]:
        job = Job(re.match(r"(?:local)?rule (\w+):", block).group(1))
        for key, value in re.findall(r"^\s+(input|output|benchmark|threads): (.+)$", block, re.M):
            if key in ("input", "output"):
                getattr(job, f"{key}s").extend(v.strip() for v in value.split(", "))
            elif key == "benchmark":
                job.benchmark = value.strip()
            else:
                job.threads = int(value)
        if job.benchmark is None:  # a cached training rule declares its record as an output (RECORD_DIR)
            job.benchmark = next((o for o in job.outputs if f"/{RECORD_DIR}/" in o and o.endswith(".tsv")), None)
        jobs.append(job)
    return jobs


def recorded_seconds(job: Job, root: Path) -> float | None:
    """A job's wall seconds from its benchmark record (the last row's ``s``), None without one."""
    path = root / job.benchmark if job.benchmark else None
    return float(pd.read_csv(path, sep="\t")["s"].iloc[-1]) if path and path.is_file() else None


def _sweep(job: Job) -> str | None:
    """The benchmark path with its job number left out: the jobs of one split sweep (``...-plain-job3.tsv``)."""
    return re.sub(r"job\d+", "job", job.benchmark) if job.benchmark else None


def job_seconds(jobs: Sequence[Job], root: Path, default: float) -> list[float]:
    """Each job's wall seconds: its benchmark record; else the mean record of the measured jobs of its sweep (config
    ``models_per_job``: the same benchmark path but for the job number), else of its rule; else ``default``."""
    own = [recorded_seconds(job, root) for job in jobs]
    by_sweep: dict[str | None, list[float]] = {}
    by_rule: dict[str, list[float]] = {}
    for job, s in zip(jobs, own):
        if s is not None:
            by_sweep.setdefault(_sweep(job), []).append(s)
            by_rule.setdefault(job.rule, []).append(s)
    mean = {key: sum(v) / len(v) for key, v in [*by_sweep.items(), *by_rule.items()]}
    return [
        s if s is not None else mean.get(_sweep(job), mean.get(job.rule, default)) for job, s in zip(jobs, own)
    ]


def _parents(jobs: Sequence[Job]) -> list[set[int]]:
    producer = {out: i for i, job in enumerate(jobs) for out in job.outputs}
    return [{producer[f] for f in job.inputs if f in producer and producer[f] != i} for i, job in enumerate(jobs)]


def critical_path(jobs: Sequence[Job], seconds: Sequence[float]) -> tuple[float, list[str]]:
    """Length (seconds) and rules of the longest chain of dependent jobs."""
    parents = _parents(jobs)
    finish: dict[int, float] = {}
    before: dict[int, int | None] = {}

    def visit(i: int) -> float:
        if i not in finish:
            best = max(parents[i], key=visit, default=None)
            before[i] = best
            finish[i] = seconds[i] + (finish[best] if best is not None else 0.0)
        return finish[i]

    end = max(range(len(jobs)), key=visit)
    chain, i = [], end
    while i is not None:
        chain.append(jobs[i].rule)
        i = before[i]
    return finish[end], chain[::-1]


def predicted_wall(jobs: Sequence[Job], seconds: Sequence[float], cores: int) -> float:
    """Wall seconds of a list schedule on ``cores`` cores: ready jobs by longest remaining path first."""
    parents = _parents(jobs)
    children: list[list[int]] = [[] for _ in jobs]
    for i, ps in enumerate(parents):
        for p in ps:
            children[p].append(i)
    tail: dict[int, float] = {}

    def remaining(i: int) -> float:
        if i not in tail:
            tail[i] = seconds[i] + max((remaining(c) for c in children[i]), default=0.0)
        return tail[i]

    waiting = [len(ps) for ps in parents]
    ready = [(-remaining(i), i) for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    running: list[tuple[float, int]] = []
    now, free = 0.0, cores
    while ready or running:
        held = []
        while ready:
            priority, i = heapq.heappop(ready)
            need = min(jobs[i].threads, cores)
            if need <= free:
                free -= need
                heapq.heappush(running, (now + seconds[i], i))
            else:
                held.append((priority, i))
        for item in held:
            heapq.heappush(ready, item)
        now, i = heapq.heappop(running)
        free += min(jobs[i].threads, cores)
        for c in children[i]:
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, (-remaining(c), c))
    return now


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", help="the output of `snakemake <target> -n --forceall`")
    parser.add_argument("--cores", type=int, nargs="+", default=[2, 8, 32, 128])
    parser.add_argument("--root", default=".", help="the directory snakemake ran in (benchmark paths are relative)")
    parser.add_argument("--default", type=float, default=5.0, help="seconds of a job without a benchmark record")
    args = parser.parse_args(argv)
    jobs = parse_plan(Path(args.plan).read_text())
    seconds = job_seconds(jobs, Path(args.root), args.default)
    own = [recorded_seconds(j, Path(args.root)) is not None for j in jobs]
    borrowed = sum(1 for j, has in zip(jobs, own) if not has and any(o and k.rule == j.rule for k, o in zip(jobs, own)))
    length, chain = critical_path(jobs, seconds)
    print(
        f"{len(jobs)} jobs, {sum(own)} with a benchmark record, {borrowed} more at their rule's mean record; "
        f"{sum(seconds) / 3600:.2f} CPU-hours in all"
    )
    print(f"critical path: {length / 60:.1f} min: {' -> '.join(chain)}")
    for n in args.cores:
        print(f"predicted wall time on {n} cores: {predicted_wall(jobs, seconds, n) / 60:.1f} min")


if __name__ == "__main__":
    main()
