"""What the workflow needs to run and judge itself, apart from the method (:mod:`rrr`) and the chapters' code.

- :mod:`~rrr.pipeline.jobs`: a job's log, threads and atomic outputs; :mod:`~rrr.pipeline.replicates`: seeded
  replicate training for jobs; :mod:`~rrr.pipeline.chunks`: how a sweep is split into jobs;
- :mod:`~rrr.pipeline.configcheck`: the config checked once, naming file, line and key;
- :mod:`~rrr.pipeline.claims` and :mod:`~rrr.pipeline.reference`: the papers' numbers as data and the statistical
  verdict on each; :mod:`~rrr.pipeline.status`: the status page written from a claims table;
- :mod:`~rrr.pipeline.fingerprint` (code hashes that rerun jobs), :mod:`~rrr.pipeline.provenance` (what made a run)
  and :mod:`~rrr.pipeline.walltime` (wall time predicted from a run's records).

Nothing here is imported by ``import rrr``; none of it imports Snakemake.
"""
