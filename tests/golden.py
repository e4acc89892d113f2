"""The smoke profile's numbers, checked in (``tests/smoke_golden.json``): a fresh smoke run must give them again, to
round-off, so that a change meant to be behaviour-neutral (a refactoring, the speed work) is shown to be one.

A change meant to move numbers regenerates the file in the same commit and says why in its message, from a smoke run
made with PyTorch's AVX2 kernels (:data:`AVX2_KERNELS`, as the tests run it; on an AVX-512 CPU the default kernels'
round-off gives other numbers):

    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 snakemake --cores 2 --configfile config/smoke.yaml
    python tests/golden.py results/smoke > tests/smoke_golden.json

Kept: every claim's reproduced value, interval and verdict, and every number of every metrics file. Left out: wall-
and CPU-clock measurements (Table 1's claims, keys naming seconds or a speedup), which differ run to run. A list of
more than :data:`LONG` numbers is kept as its length, mean, standard deviation, minimum and maximum.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

LONG = 16
CLOCK_WORDS = ("seconds", "speedup")
RTOL, ATOL = 1e-6, 1e-9
AVX2_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}  # what the golden numbers were made with


def _is_clock(key: str) -> bool:
    return any(word in key for word in CLOCK_WORDS)


def _leaves(value: object, key: str, out: dict[str, float]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _leaves(v, f"{key}.{k}", out)
    elif isinstance(value, (bool, int, float)) and not isinstance(value, str):
        out[key] = float(value)
    elif isinstance(value, list) and value:
        try:
            array = np.asarray(value, dtype=float).ravel()
        except (TypeError, ValueError):  # mixed or ragged: element by element
            for i, v in enumerate(value):
                _leaves(v, f"{key}[{i}]", out)
            return
        if array.size > LONG:
            out.update({f"{key}:n": float(array.size), f"{key}:mean": float(np.mean(array)),
                        f"{key}:sd": float(np.std(array)), f"{key}:min": float(np.min(array)),
                        f"{key}:max": float(np.max(array))})
        else:
            out.update({f"{key}[{i}]": float(v) for i, v in enumerate(array)})


def metrics_numbers(results: Path, folder: str = "") -> dict[str, float]:
    """Every number of the metrics files under ``results/metrics/<folder>``, keyed as in the golden file, clock
    measurements left out."""
    numbers: dict[str, float] = {}
    for path in sorted((results / "metrics" / folder).rglob("*.json")):
        if not path.name.endswith(".timing.json"):
            _leaves(json.loads(path.read_text()), path.relative_to(results / "metrics").as_posix(), numbers)
    return {k: v for k, v in numbers.items() if not _is_clock(k)}


def metrics_differences(results: Path, folder: str) -> tuple[int, list[str]]:
    """How many numbers of a (partial) run's metrics under ``folder`` were compared with the golden file, and which
    differ from it (beyond round-off) or are not in it."""
    golden = json.loads((Path(__file__).with_name("smoke_golden.json")).read_text())["metrics"]
    numbers = metrics_numbers(results, folder)
    changed = [k for k, v in numbers.items() if k not in golden or not _close(golden[k], v)]
    return len(numbers), [f"{k}: golden {golden.get(k)!r}, now {numbers[k]!r}" for k in changed]


def collect(results: Path) -> dict:
    """The numbers of a completed run's ``results/<profile>`` folder (see the module docstring)."""
    claims = pd.read_csv(results / "claims.csv")
    kept = claims[~claims["id"].str.startswith("table1_")]
    return {
        "claims": {row.id: {"reproduced_value": row.reproduced_value, "interval_low": row.interval_low,
                            "interval_high": row.interval_high, "verdict": row.verdict} for row in kept.itertuples()},
        "metrics": metrics_numbers(results),
    }


def _close(a: object, b: object) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


def differences(expected: dict, actual: dict) -> list[str]:
    """What differs between two :func:`collect` results, one line each (empty when they agree to round-off)."""
    lines = []
    for section in ("claims", "metrics"):
        want, got = expected[section], actual[section]
        lines += [f"{section}: {k} is missing" for k in sorted(set(want) - set(got))]
        lines += [f"{section}: {k} is new" for k in sorted(set(got) - set(want))]
        for k in sorted(set(want) & set(got)):
            a, b = want[k], got[k]
            pairs = a.items() if isinstance(a, dict) else [("", a)]
            for field, value in pairs:
                other = b[field] if isinstance(b, dict) else b
                if not _close(value, other):
                    lines.append(f"{section}: {k}{'.' + field if field else ''}: golden {value!r}, now {other!r}")
    return lines


if __name__ == "__main__":
    json.dump(collect(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=True, allow_nan=True)
    sys.stdout.write("\n")
