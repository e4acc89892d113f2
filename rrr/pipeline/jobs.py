"""What a workflow job needs around its work: a log file, a thread count, and outputs written atomically.

Every output a script writes goes through :func:`rrr.atomic.atomic_path` (here, or in the library function that
writes it), so a killed job leaves no half-written file. Metrics files keep no wall-clock times (they go to
``<name>.timing.json`` beside them), so two runs of a job write the same bytes. Array files record the code
fingerprint that made them, and their SHA-256, in ``<name>.json`` beside them, as model files do; :func:`load_npz`
checks it.
"""

from __future__ import annotations

import atexit
import datetime
import json
import logging
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from rrr.allocator import reuse_freed_memory
from rrr.atomic import atomic_path, read_sidecar, sidecar_path, write_with_sidecar
from rrr.pipeline.runs import is_snakemake_command

if TYPE_CHECKING:
    import pandas as pd


def log_to(path: str | Path) -> None:
    """Send this process's output — prints, warnings, logging and an uncaught traceback — to a job's log file."""
    stream = open(path, "w", buffering=1)  # open until the process ends
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, force=True)


def set_threads(n: int) -> None:
    """Use ``n`` CPU threads for torch (Snakemake's ``threads``)."""
    torch.set_num_threads(max(1, int(n)))


def start_job(log: str | Path, threads: int, record: str | Path | None = None) -> None:
    """Begin a workflow script: its output goes to the job's ``log`` (:func:`log_to`), torch uses its ``threads``
    and freed memory stays in the process (:func:`rrr.allocator.reuse_freed_memory`). A script unpacks Snakemake's
    object itself: ``start_job(snakemake.log[0], snakemake.threads)``. ``record``: the job's benchmark record, written
    when the process ends (:func:`write_record`), for the cached training rules, which may not carry ``benchmark:``."""
    log_to(log)
    set_threads(threads)
    reuse_freed_memory()
    stop_with_snakemake()
    if record is not None:
        atexit.register(write_record, record)


# Snakemake's benchmark columns (snakemake.benchmark.BenchmarkRecord): rrr.pipeline.walltime reads ``s``.
RECORD_COLUMNS = ("s", "h:m:s", "max_rss", "max_vms", "max_uss", "max_pss", "io_in", "io_out", "mean_load", "cpu_time")


def _process_started() -> float:
    """This process's start (epoch seconds): from psutil where installed (Snakemake needs it), else now."""
    try:
        import psutil

        return psutil.Process().create_time()
    except (ImportError, OSError):
        return time.time()


_STARTED = _process_started()


def write_record(path: str | Path, started: float | None = None) -> None:
    """Write a benchmark record of this process, in Snakemake's format (a header and one row, :data:`RECORD_COLUMNS`):
    wall seconds since ``started`` (default: the process's start), peak RSS (MB) and CPU seconds of this process and
    its children; columns it cannot measure are ``NA``, as Snakemake writes them. A rule whose outputs come from the
    between-workflow cache (``cache:``) cannot carry ``benchmark:``; this record is one of its outputs instead, so a
    job taken from the cache brings its producer's measured time with it."""
    wall = time.time() - (_STARTED if started is None else started)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    max_rss_mb = max(own.ru_maxrss, children.ru_maxrss) / 1024  # ru_maxrss is in KB on Linux
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    row = [f"{wall:.4f}", str(datetime.timedelta(seconds=round(wall))), f"{max_rss_mb:.2f}"]
    row += ["NA"] * 6 + [f"{cpu:.2f}"]
    write_text("\t".join(RECORD_COLUMNS) + "\n" + "\t".join(row) + "\n", path)


def _parent_and_start(pid: int) -> tuple[int, str] | None:
    """A process's parent pid and its own start time (Linux /proc/<pid>/stat), None where it is gone (or a zombie,
    killed but not yet reaped)."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else (int(fields[1]), fields[19])


def _snakemake_ancestor() -> tuple[int, str] | None:
    """The nearest snakemake process above this one (pid, start time), None outside a workflow or off Linux."""
    pid = os.getppid()
    while pid > 1:
        stat = _parent_and_start(pid)
        try:
            argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")[:3]
        except OSError:
            return None
        if stat is None:
            return None
        if is_snakemake_command(argv):
            return pid, stat[1]
        pid = stat[0]
    return None


def stop_with_snakemake(interval: float = 2.0) -> threading.Thread | None:
    """End this job (SIGTERM to itself) within ``interval`` seconds of the snakemake that started it dying.

    Snakemake stops its jobs on Ctrl-C, but after ``kill -9`` (or a lost login node) they ran on as orphans,
    writing outputs the rerun does not trust and competing with its jobs for the cores. Outputs are written
    atomically, so a job stopped here leaves none half-written. No-op outside snakemake or off Linux."""
    ancestor = _snakemake_ancestor()
    if ancestor is None:
        return None
    pid, started = ancestor

    def watch() -> None:
        while True:
            time.sleep(interval)
            stat = _parent_and_start(pid)
            if stat is None or stat[1] != started:
                print(f"snakemake (pid {pid}) has ended: this job stops too; run snakemake again", flush=True)
                os.kill(os.getpid(), signal.SIGTERM)
                return

    thread = threading.Thread(target=watch, name="stop-with-snakemake", daemon=True)
    thread.start()
    return thread


# Wall-clock times differ between two runs of the same job: they are kept out of the metrics files (which are then
# byte-identical run to run) and written beside them, <name>.timing.json. Nothing reads them back.
TIMING_KEYS = frozenset({"train_seconds", "seconds_per_batch"})
METRICS_DIR = "metrics"


def timing_path(metrics_path: str | Path) -> Path:
    """Where :func:`write_json` puts the timings of a metrics file: ``<name>.timing.json`` beside it."""
    path = Path(metrics_path)
    return path.with_name(path.name.removesuffix(".json") + ".timing.json")


def _write_atomically(data: Mapping, path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2))


def write_json(data: Mapping, path: str | Path) -> None:
    """Write JSON atomically (temp file, then rename), so a killed job leaves nothing half-written.

    A metrics file (one in a ``metrics/`` folder, ``results/<profile>/metrics/...``) is written without its
    wall-clock times (the top-level :data:`TIMING_KEYS`), which go to :func:`timing_path` beside it: two runs of a
    job then write the same metrics bytes, and no script has to change (a changed script reruns its jobs).
    """
    path = Path(path)
    if METRICS_DIR in path.parent.parts and isinstance(data, Mapping):
        timings = {k: v for k, v in data.items() if k in TIMING_KEYS}
        if timings:
            _write_atomically(timings, timing_path(path))
            data = {k: v for k, v in data.items() if k not in TIMING_KEYS}
    _write_atomically(data, path)


def write_npz(path: str | Path, *, code: str, compressed: bool = True, **arrays: object) -> None:
    """Write arrays to an ``.npz`` atomically, then ``<path>.json`` beside it with the code fingerprint (``code``, the
    rule's ``params.code``), each array's shape and the file's ``sha256``, so a cached file says which code made it
    and :func:`load_npz` can tell a damaged one. ``compressed=False`` for arrays read often and whole (MNIST-sized
    images load several times faster)."""
    shapes = {name: list(np.shape(a)) for name, a in arrays.items()}
    save = np.savez_compressed if compressed else np.savez
    write_with_sidecar(path, lambda tmp: save(tmp, **arrays), {"code": code, "arrays": shapes})


def load_npz(path: str | Path) -> np.lib.npyio.NpzFile:
    """``np.load(path)``, after checking an ``.npz`` against the ``sha256`` its sidecar ``<path>.json`` recorded
    (:func:`write_npz`): a mismatch raises :class:`rrr.atomic.CorruptFileError` naming the file, both checksums and
    the fix. A file without a sidecar (raw data), or a sidecar without ``sha256`` (an older results tree), loads as
    it is."""
    if sidecar_path(path).exists():
        read_sidecar(path)
    return np.load(path)


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: object) -> None:
    """``frame.to_csv(path, **to_csv)``, atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, **to_csv)


def write_text(text: str, path: str | Path) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_torch(obj: object, path: str | Path, *, code: str) -> None:
    """``torch.save(obj, path)`` atomically, then ``<path>.json`` beside it with the code fingerprint that made it
    and the file's ``sha256`` (the file first, so a sidecar always describes a complete file)."""
    write_with_sidecar(path, lambda tmp: torch.save(obj, tmp), {"code": code})


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())
