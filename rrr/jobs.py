"""What a workflow job needs around its work: a log file, a thread count, and JSON outputs written atomically.

Metrics files keep no wall-clock times (they go to ``<name>.timing.json`` beside them), so two runs of a job write the
same bytes.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path

import torch


def log_to(path: str | Path) -> None:
    """Send this process's output — prints, warnings, logging and an uncaught traceback — to a job's log file."""
    stream = open(path, "w", buffering=1)  # open until the process ends
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, force=True)


def set_threads(n: int) -> None:
    """Use ``n`` CPU threads for torch (Snakemake's ``threads``)."""
    torch.set_num_threads(max(1, int(n)))


# Wall-clock times differ between two runs of the same job: they are kept out of the metrics files (which are then
# byte-identical run to run) and written beside them, <name>.timing.json. Nothing reads them back.
TIMING_KEYS = frozenset({"train_seconds", "seconds_per_batch"})
METRICS_DIR = "metrics"


def timing_path(metrics_path: str | Path) -> Path:
    """Where :func:`write_json` puts the timings of a metrics file: ``<name>.timing.json`` beside it."""
    path = Path(metrics_path)
    return path.with_name(path.name.removesuffix(".json") + ".timing.json")


def _write_atomically(data: Mapping, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


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


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())
