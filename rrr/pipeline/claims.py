"""Judge the numbers the pipeline computed against the numbers the papers state.

Claims live in ``config/claims/*.yaml`` (keys: ``config/claims/README.md``); each names a metric the
workflow writes under ``results/{profile}/metrics/``. :func:`verdict` turns one claim and its per-run (or
per-example) values into ``holds`` / ``differs`` / ``inconclusive`` / ``not comparable`` / ``reduced scale``
from sampling error: our mean ± Z standard errors, where the standard error combines ours (sd/√n, or the
binomial error of a single run's accuracy) with the paper value's (its printed precision, its run-to-run
spread and its own binomial error). An ``approx`` claim whose interval also contains its null value, what
the metric would be if the paper were wrong, is ``inconclusive``, never ``holds``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rrr.pipeline.reference import parse_yaml
from rrr.pipeline.reference import value as reference_value

Z = 3.0  # one z for every claim: the acceptance interval is our estimate ± Z combined standard errors
CONFIDENCE = 2 * stats.norm.cdf(Z) - 1  # the two-sided level of ± Z (0.9973), for the Wilson interval of a count
UNITS = ("runs", "examples", "sweep")
NO_ERROR = "no error estimate"
ONE_MODEL = "one model: judged over seeds needs ≥ 2"
VERDICTS = ("holds", "differs", "inconclusive", "reduced scale", "not comparable")
COMPARISONS = ("approx", "at_least", "at_most")
COLUMNS = [
    "claim", "source", "paper_value", "reproduced_value", "interval_low", "interval_high", "verdict", "holds",
    "reproduced_se", "paper_se", "n", "compare", "null_value", "null_basis", "note", "id",
]


def metric_path(metrics_root: Path, metric: str) -> Path:
    """``decoy-mnist/plain:test_accuracy`` -> ``<root>/decoy-mnist/plain.json``."""
    return Path(metrics_root) / (metric.split(":")[0] + ".json")


def read_metric(metrics_root: Path, metric: str) -> np.ndarray:
    """The per-run (or per-example) values of one metric."""
    key = metric.split(":")[1]
    data = json.loads(metric_path(metrics_root, metric).read_text())
    return np.atleast_1d(np.asarray(data[key], dtype=float))


STATISTICS = ("abs_deviation", "sd_over_rounds")


def summarize(values: np.ndarray, statistic: str | None) -> np.ndarray:
    """A claim's ``statistic`` of its metric's values, so that a claim about spread has one value per run.

    ``abs_deviation``: each run's absolute deviation from the runs' mean (a difference of two says which metric
    varies more, paired run by run). ``sd_over_rounds``: a [round][seed] list's sd over the rounds after the
    first (round 0 is the unpenalized model), one per seed.
    """
    if statistic is None:
        return values
    if statistic == "abs_deviation":
        return np.abs(values - values.mean())
    if statistic == "sd_over_rounds":
        if values.ndim != 2 or values.shape[0] < 3:
            raise ValueError("sd_over_rounds needs a [round][seed] list with at least 3 rounds")
        return values[1:].std(axis=0, ddof=1)
    raise ValueError(f"unknown statistic {statistic!r} ({', '.join(STATISTICS)})")


def read_n_seeds(metrics_root: Path, metric: str) -> int | None:
    """How many seeds a metrics file's lists pool (its ``"seeds"`` list), or None when it does not say."""
    seeds = json.loads(metric_path(metrics_root, metric).read_text()).get("seeds")
    return len(seeds) if isinstance(seeds, list) and seeds else None


def read_n_eval(metrics_root: Path, metric: str) -> int | None:
    """The number of evaluated examples a metrics file records for one key (``"n_eval": {key: N}`` or N)."""
    data = json.loads(metric_path(metrics_root, metric).read_text())
    n_eval = data.get("n_eval")
    if isinstance(n_eval, Mapping):
        n_eval = n_eval.get(metric.split(":")[1])
    return int(n_eval) if n_eval is not None else None


def load_claims(claims_dir: Path, reference_root: Path | None = None) -> dict[str, dict]:
    """Every claim of ``claims_dir/*.yaml`` (name order), ``paper_value_from`` resolved into ``paper_value``."""
    claims: dict[str, dict] = {}
    for path in sorted(Path(claims_dir).glob("*.yaml")):
        for cid, claim in (parse_yaml(path.read_text()) or {}).items():
            if cid in claims:
                raise ValueError(f"claim {cid!r} is defined twice (again in {path}); claim ids must be unique")
            claim = dict(claim, file=path.name)
            if "paper_value_from" in claim:
                if "paper_value" in claim:
                    raise ValueError(f"claim {cid!r} ({path}): give paper_value or paper_value_from, not both")
                root = Path(reference_root) if reference_root else Path(claims_dir).parent / "reference"
                claim["paper_value"] = reference_value(claim["paper_value_from"], root)
            claims[cid] = claim
    return claims


def claim_switches(claim: Mapping) -> list[str]:
    """The config switches a claim ``requires`` (dotted paths to booleans): none, one, or a list."""
    requires = claim.get("requires") or []
    return [requires] if isinstance(requires, str) else list(requires)


def switched_on(claim: Mapping, config: Mapping) -> bool:
    """Whether every switch the claim ``requires`` is on in ``config`` (a claim without one always is)."""
    for path in claim_switches(claim):
        value: Any = config
        for key in path.split("."):
            if not isinstance(value, Mapping) or key not in value:
                raise KeyError(f"a claim requires {path!r}, which is not in the config")
            value = value[key]
        if not value:
            return False
    return True


def printed_precision(value: float) -> float:
    """Half a unit of the last digit of ``value`` as written (0.96 -> 0.005, 1.9e-05 -> 5e-07); integers are exact."""
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return 0.0
    mantissa, _, exponent = repr(value).partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if x.size > 1 else 0.0


def _binomial_var(ps: Sequence[float], n_eval: int) -> float:
    """Variance of an accuracy (or of a difference of accuracies) measured on ``n_eval`` examples."""
    return sum(min(max(p, 0.0), 1.0) * (1 - min(max(p, 0.0), 1.0)) for p in ps) / n_eval


def _over_seeds(x: np.ndarray, y: np.ndarray | None, unit: str, n_seeds: int) -> tuple[float, float, int]:
    """Estimate, variance and n of a metric that pools seeds: n is the number of seeds, not of elements.

    ``sweep``: one value per grid point and seed (grid-major, seeds within), a statistic of the whole sweep; the
    seeds' sweep means are the runs. ``examples`` judged ``over: seeds``: per-image values concatenated over seeds
    (seed-major); variance = var(seed means)/S + mean within-seed variance/(N·S) (config/claims/README.md).
    """
    d = x if y is None else x - y
    if y is not None and y.size != x.size:
        raise ValueError("a claim judged over seeds pairs its metric and minus element by element: equal lengths")
    if d.size % n_seeds:
        raise ValueError(f"{d.size} values do not split into {n_seeds} seeds")
    if unit == "sweep":
        per_seed = d.reshape(-1, n_seeds).mean(axis=0)
        return float(per_seed.mean()), _sd(per_seed) ** 2 / n_seeds, n_seeds
    per_image = d.reshape(n_seeds, -1)
    per_seed = per_image.mean(axis=1)
    within = per_image.var(axis=1, ddof=1).mean() if per_image.shape[1] > 1 else 0.0
    var = _sd(per_seed) ** 2 / n_seeds + within / (per_image.size)
    return float(per_seed.mean()), float(var), n_seeds


def _pooled_count(x: np.ndarray, y: np.ndarray | None, unit: str, n_eval: int | None) -> tuple[int, int] | None:
    """(correct, total) pooled over runs when the metric is a plain accuracy (or per-example 0/1); else None."""
    if y is not None:
        return None
    if unit == "examples" and np.isin(x, (0.0, 1.0)).all():
        return int(x.sum()), int(x.size)
    if unit == "runs" and n_eval and ((x >= 0) & (x <= 1)).all():
        return int(round(float(x.sum()) * int(n_eval))), int(x.size) * int(n_eval)
    return None


def _clip(claim: Mapping, low: float, high: float) -> tuple[float, float]:
    """The interval cut to the metric's ``range`` ([min, max], e.g. [0, 1] for a share), where the claim gives one."""
    if claim.get("range") is None:
        return low, high
    lo, hi = (float(v) for v in claim["range"])
    return min(max(low, lo), hi), max(min(high, hi), lo)


def _setting(config: Mapping, path: str) -> Any:
    """A dotted config path; ``a|b`` takes the first alternative that is set (not null)."""
    for alternative in path.split("|"):
        value: Any = config
        for key in alternative.split("."):
            if not isinstance(value, Mapping) or key not in value:
                raise KeyError(f"comparable_at/comparable_if names {alternative!r}, which is not in the config")
            value = value[key]
        if value is not None:
            return value
    return None


def _shortfalls(claim: Mapping, n: int, config: Mapping | None) -> list[str]:
    """The settings of this run that fall short of the claim's ``comparable_at`` minimums."""
    short = []
    for path, minimum in (claim.get("comparable_at") or {}).items():
        if path == "n_runs":
            actual = n
        elif config is None:
            continue
        else:
            actual = _setting(config, path)
        if actual is None or float(actual) < float(minimum):
            short.append(f"{path} = {actual} < {minimum}")
    return short


def _substitutes(claim: Mapping, config: Mapping | None) -> list[str]:
    """The settings by which this run's data or model differ from the paper's (``comparable_if``)."""
    if config is None:
        return []
    return [
        f"{path} = {actual}, the paper's is {wanted}"
        for path, wanted in (claim.get("comparable_if") or {}).items()
        if (actual := _setting(config, path)) != wanted
    ]


def verdict(
    claim: Mapping,
    values: Sequence[float] | np.ndarray,
    minus: Sequence[float] | np.ndarray | None = None,
    *,
    n_eval: int | None = None,
    config: Mapping | None = None,
    null: Sequence[float] | np.ndarray | None = None,
    n_seeds: int | None = None,
) -> dict:
    """The verdict on one claim from the values of its metric.

    ``values``/``minus``: the metric and the ``minus`` metric, one element per run (``unit: runs``) or per
    evaluated example (``unit: examples``); equal lengths pair element by element. ``n_eval``: the number of
    examples each accuracy was measured on, when the claim does not say. ``config``: this run's config, for
    ``comparable_at``. ``null``: the values of the claim's ``null_metric`` (minus ``null_minus``), when it
    names one instead of a ``null_value``. ``n_seeds``: how many seeds the values pool (``unit: sweep`` and
    ``over: seeds``). A row with no error estimate of ours, or a statement about models from one model, is
    ``inconclusive``. Returns ``verdict``, ``reproduced_value``, ``interval_low``,
    ``interval_high`` and the parts they are made of.
    """
    compare = claim.get("compare", "approx")
    if compare not in COMPARISONS:
        raise ValueError(f"unknown compare {compare!r} ({', '.join(COMPARISONS)})")
    unit = claim.get("unit", "runs")
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r} ({', '.join(UNITS)})")
    over_seeds = claim.get("over") == "seeds"
    if claim.get("over") not in (None, "seeds") or (over_seeds and unit != "examples"):
        raise ValueError("over: seeds is the only 'over', and it needs unit: examples (per-image values per seed)")
    x = np.atleast_1d(np.asarray(values, dtype=float))
    y = None if minus is None else np.atleast_1d(np.asarray(minus, dtype=float))
    if x.size == 0 or (y is not None and y.size == 0):
        raise ValueError("a claim needs at least one value of its metric")
    paper = float(claim["paper_value"])
    n_eval = claim.get("n_eval", n_eval) if unit == "runs" else None
    paper_n_eval = claim.get("paper_n_eval", n_eval) if unit == "runs" else None
    means = [float(x.mean())] + ([float(y.mean())] if y is not None else [])

    # Our estimate and its standard error.
    if unit == "sweep" or over_seeds:
        est, var_ours, n = _over_seeds(x, y, unit, n_seeds or 1)
    else:
        if y is not None and y.size == x.size:
            d = x - y
            est, var_ours = float(d.mean()), _sd(d) ** 2 / d.size
        elif y is not None:
            est, var_ours = means[0] - means[1], _sd(x) ** 2 / x.size + _sd(y) ** 2 / y.size
        else:
            est, var_ours = means[0], _sd(x) ** 2 / x.size
        n = x.size
        if unit == "runs" and n == 1 and n_eval:
            var_ours = _binomial_var(means, int(n_eval))
    count = _pooled_count(x, y, unit, n_eval)

    # The paper value's standard error: printed precision, run-to-run spread, its own binomial error.
    reruns = np.asarray(claim.get("author_reruns", ()), dtype=float)
    precision = float(claim.get("precision", printed_precision(paper)))
    if reruns.size > 1:  # reruns of the published number itself: their spread is its error as it stands
        var_runs = _sd(reruns) ** 2
    elif reruns.size == 1:
        var_runs = (float(reruns[0]) - paper) ** 2
    else:  # one draw of our run-to-run distribution, or the mean of `paper_runs` draws
        var_runs = var_ours * n / float(claim.get("paper_runs", 1)) if unit != "examples" and n > 1 else 0.0
    var_paper = (precision / math.sqrt(3)) ** 2 + var_runs
    if paper_n_eval:
        var_paper += _binomial_var(means if y is not None else [paper], int(paper_n_eval))

    transform: Callable[[float], float] = lambda v: v  # noqa: E731
    if claim.get("scale") == "log10":
        if est <= 0 or paper <= 0:
            raise ValueError("scale log10 needs positive values")
        # Delta method: an error σ of v is σ / (v ln 10) in log10 units.
        var_ours, var_paper = var_ours / (est * math.log(10)) ** 2, var_paper / (paper * math.log(10)) ** 2
        transform = math.log10
    elif claim.get("scale") is not None:
        raise ValueError(f"unknown scale {claim['scale']!r} (only log10)")
    est_t, paper_t = transform(est), transform(paper)

    # Our half-widths below and above: Z standard errors, or for a pooled count of correct examples the Wilson
    # interval's sides where they are wider (it stays honest at 0 and 1); then the paper's error, for approx.
    ours_low = ours_high = Z * math.sqrt(var_ours)
    if count is not None and claim.get("scale") is None:
        wilson = stats.binomtest(*count).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
        ours_low, ours_high = max(ours_low, est - wilson.low), max(ours_high, wilson.high - est)
    paper_width = Z * math.sqrt(var_paper) if compare == "approx" else 0.0
    low = est_t - math.hypot(ours_low, paper_width)
    high = est_t + math.hypot(ours_high, paper_width)
    low, high = _clip(claim, low, high)
    null_value = claim.get("null_value")
    if null is not None:
        null_value = float(np.mean(null))
    null_t = transform(float(null_value)) if null_value is not None else None

    if compare == "approx" and null_t is None and not claim.get("not_comparable"):
        raise ValueError("an approx claim needs a null_value or null_metric (what it would be were it wrong)")
    note = ""
    short = _shortfalls(claim, n, config)
    other = _substitutes(claim, config)
    if claim.get("not_comparable"):
        result, note = "not comparable", str(claim["not_comparable"])
    elif other:
        result, note = "not comparable", "other data or model: " + "; ".join(other)
    elif short:
        result, note = "reduced scale", "; ".join(short)
    elif over_seeds and n < 2:
        result, note = "inconclusive", ONE_MODEL
    elif ours_low == 0.0 and ours_high == 0.0:  # a single value, or identical ones, with no model of their error
        result, note = "inconclusive", NO_ERROR
    elif compare == "approx":
        if not low <= paper_t <= high:
            result = "differs"
        elif low <= null_t <= high:
            result, note = "inconclusive", "the null value is inside the interval"
        else:
            result = "holds"
    else:
        # Strictly on one side: a tie with no spread (every paired difference 0) shows no ordering.
        if compare == "at_least":
            result = "holds" if low > paper_t else "differs" if high < paper_t else "inconclusive"
        else:
            result = "holds" if high < paper_t else "differs" if low > paper_t else "inconclusive"
    return {
        "verdict": result,
        "reproduced_value": est_t,
        "interval_low": low,
        "interval_high": high,
        "paper_value": paper_t,
        "reproduced_se": math.sqrt(var_ours),
        "paper_se": math.sqrt(var_paper) if compare == "approx" else 0.0,
        "n": int(n),
        "null_value": null_t,
        "note": note,
    }


def evaluate_claim(claim_id: str, claim: Mapping, metrics_root: Path, config: Mapping | None = None) -> dict:
    """One row of claims.csv: the claim's metric read from ``metrics_root`` and judged by :func:`verdict`.

    A ``not_comparable`` claim may name no metric (a result this pipeline has nothing to measure with, e.g. a
    human study): its row shows the paper's value and the reason. The claim's own ``note`` follows the verdict's.
    """
    if not claim.get("metric"):
        if not claim.get("not_comparable"):
            raise ValueError(f"claim {claim_id}: only a not_comparable claim may leave out its metric")
        result: dict = {
            "verdict": "not comparable", "reproduced_value": None, "interval_low": None, "interval_high": None,
            "paper_value": float(claim["paper_value"]), "reproduced_se": None, "paper_se": None, "n": 0,
            "null_value": None, "note": str(claim["not_comparable"]),
        }
    else:
        result = _judge(claim_id, claim, metrics_root, config)
    rounded = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in result.items()}
    rounded["note"] = "; ".join(part for part in (result["note"], claim.get("note", "")) if part)
    return {
        "claim": claim["claim"],
        "source": claim["source"],
        **rounded,
        "holds": result["verdict"] == "holds",
        "compare": claim.get("compare", "approx"),
        "null_basis": claim.get("null_basis", ""),
        "id": claim_id,
    }


def _judge(claim_id: str, claim: Mapping, metrics_root: Path, config: Mapping | None) -> dict:
    """:func:`verdict` on the claim's metrics as ``metrics_root`` holds them."""

    def read(key: str, minus_key: str) -> tuple[np.ndarray, np.ndarray | None]:
        statistic = claim.get("statistic") if key == "metric" else None
        return summarize(read_metric(metrics_root, claim[key]), statistic), (
            summarize(read_metric(metrics_root, claim[minus_key]), statistic) if claim.get(minus_key) else None
        )

    values, minus = read("metric", "minus")
    null = None
    if claim.get("null_metric"):
        null_values, null_minus = read("null_metric", "null_minus")
        if null_minus is None:
            null = null_values
        elif null_minus.size == null_values.size:
            null = null_values - null_minus
        else:
            null = null_values - null_minus.mean()
    try:
        n_eval = read_n_eval(metrics_root, claim["metric"])
        n_seeds = read_n_seeds(metrics_root, claim["metric"])
        return verdict(claim, values, minus, n_eval=n_eval, config=config, null=null, n_seeds=n_seeds)
    except (ValueError, KeyError) as err:
        raise ValueError(f"claim {claim_id}: {err}") from err


def claims_table(claims: Mapping[str, Mapping], metrics_root: Path, config: Mapping | None = None) -> pd.DataFrame:
    """One row per claim (:data:`COLUMNS`)."""
    rows = [evaluate_claim(cid, c, metrics_root, config) for cid, c in claims.items()]
    return pd.DataFrame(rows, columns=COLUMNS)


def headline(verdicts: Sequence[str] | pd.Series) -> str:
    """"H of C comparable claims hold (D differ, I inconclusive); R at reduced scale; N not comparable" """
    counts = {v: int(sum(1 for x in verdicts if x == v)) for v in VERDICTS}
    comparable = counts["holds"] + counts["differs"] + counts["inconclusive"]
    return (
        f"{counts['holds']} of {comparable} comparable claims hold ({counts['differs']} differ, "
        f"{counts['inconclusive']} inconclusive); {counts['reduced scale']} at reduced scale; "
        f"{counts['not comparable']} not comparable"
    )
