"""Compare the numbers the pipeline computed with the numbers the papers state.

Claims live in ``config/claims.yaml``; each names a per-seed metric the workflow writes
under ``results/{profile}/metrics/``. The verdict uses a tolerance fixed in advance:
3 × our seed-to-seed standard deviation + the spread of the authors' own reruns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = [
    "claim", "source", "paper_value", "reproduced_value", "tolerance", "holds",
    "reproduced_sd", "n_runs", "compare", "id",
]


def metric_path(metrics_root: Path, metric: str) -> Path:
    """``decoy-mnist/plain:test_accuracy`` -> ``<root>/decoy-mnist/plain.json``."""
    return Path(metrics_root) / (metric.split(":")[0] + ".json")


def read_metric(metrics_root: Path, metric: str) -> np.ndarray:
    """The per-seed values of one metric."""
    key = metric.split(":")[1]
    data = json.loads(metric_path(metrics_root, metric).read_text())
    return np.atleast_1d(np.asarray(data[key], dtype=float))


def tolerance(values: np.ndarray, paper_value: float, author_reruns: Iterable[float] = ()) -> float:
    """3 × sample sd over our runs + the largest distance of the authors' reruns from their published value."""
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    reruns = np.asarray(list(author_reruns), dtype=float)
    spread = float(np.max(np.abs(reruns - paper_value))) if reruns.size else 0.0
    return 3 * sd + spread


def evaluate_claim(claim_id: str, claim: Mapping, metrics_root: Path) -> dict:
    values = read_metric(metrics_root, claim["metric"])
    if claim.get("minus"):
        values = values - read_metric(metrics_root, claim["minus"])
    paper = float(claim["paper_value"])
    reruns = np.asarray(claim.get("author_reruns", ()), dtype=float)
    if claim.get("scale") == "log10":
        values, paper, reruns = np.log10(values), float(np.log10(paper)), np.log10(reruns)
    elif claim.get("scale") is not None:
        raise ValueError(f"claim {claim_id}: unknown scale {claim['scale']!r} (only log10)")
    mean = float(values.mean())
    tol = tolerance(values, paper, reruns)
    compare = claim.get("compare", "approx")
    if compare == "approx":
        holds = abs(mean - paper) <= tol + 1e-12  # float round-off only
    elif compare == "at_least":
        holds = mean >= paper
    elif compare == "at_most":
        holds = mean <= paper
    else:
        raise ValueError(f"claim {claim_id}: unknown compare {compare!r} (approx, at_least, at_most)")
    return {
        "claim": claim["claim"],
        "source": claim["source"],
        "paper_value": round(paper, 6),
        "reproduced_value": round(mean, 6),
        "tolerance": round(tol, 6),
        "holds": bool(holds),
        "reproduced_sd": round(float(np.std(values, ddof=1)), 6) if len(values) > 1 else 0.0,
        "n_runs": len(values),
        "compare": compare,
        "id": claim_id,
    }


def claims_table(claims: Mapping[str, Mapping], metrics_root: Path) -> pd.DataFrame:
    """One row per claim: ``claim,source,paper_value,reproduced_value,tolerance,holds,…``."""
    rows = [evaluate_claim(cid, c, metrics_root) for cid, c in claims.items()]
    return pd.DataFrame(rows, columns=COLUMNS)
