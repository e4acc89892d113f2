"""Claims: the statistical verdict, its power to fail, and the shape of config/claims/*.yaml."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rrr.pipeline.claims import (
    COLUMNS,
    evaluate_claim,
    Z,
    claim_switches,
    claims_table,
    headline,
    load_claims,
    printed_precision,
    switched_on,
    verdict,
)
from rrr.pipeline.configcheck import load_config
from rrr.pipeline.reference import value as reference_value

REPO = Path(__file__).resolve().parents[1]
CLAIMS = load_claims(REPO / "config" / "claims")
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
KEYS = {
    "claim",
    "source",
    "paper_value",
    "paper_value_from",
    "metric",
    "minus",
    "compare",
    "unit",
    "n_eval",
    "paper_n_eval",
    "paper_runs",
    "precision",
    "author_reruns",
    "null_value",
    "null_metric",
    "null_minus",
    "null_basis",
    "scale",
    "not_comparable",
    "comparable_at",
    "requires",
    "comparable_if",
    "over",
    "range",
    "note",
    "statistic",
    "file",
}
RUNS = REPO / "docs" / "runs"


def _metrics(root: Path, name: str, **values) -> None:
    path = root / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))


def _claim(**keys) -> dict:
    return {"claim": "c", "source": "s", "metric": "exp/a:acc", **keys}


def test_printed_precision_is_half_the_last_digit():
    assert printed_precision(0.96) == pytest.approx(0.005)
    assert printed_precision(0.9603) == pytest.approx(0.00005)
    assert printed_precision(1.9e-05) == pytest.approx(5e-07)
    assert printed_precision(1.0) == 0.0 and printed_precision(0) == 0.0


def test_one_run_accuracy_gets_the_binomial_interval():
    claim = _claim(paper_value=0.11328125, null_value=0.9, n_eval=256)
    result = verdict(claim, [0.043])
    ours, paper = 0.043 * 0.957 / 256, 0.11328125 * (1 - 0.11328125) / 256
    assert result["reproduced_se"] == pytest.approx(math.sqrt(ours))
    # Below the estimate the Wald side is the wider; above it, the Wilson interval's (11 of 256 near 0).
    assert result["interval_low"] == pytest.approx(0.043 - Z * math.sqrt(ours + paper), rel=1e-3)
    assert result["interval_high"] > 0.043 + Z * math.sqrt(ours + paper)
    assert result["verdict"] == "holds"  # 0.113 is within 3 se of 0.043 on 256 images; 0.9 is not
    # Without n_eval a single run has no sampling error of its own: it decides nothing.
    alone = verdict(_claim(paper_value=0.11328125, null_value=0.9), [0.043])
    assert alone["verdict"] == "inconclusive" and alone["note"] == "no error estimate"


def test_approx_holds_differs_or_is_inconclusive():
    claim = _claim(paper_value=0.96, null_value=0.55, n_eval=10000)
    assert verdict(claim, [0.958, 0.957, 0.959])["verdict"] == "holds"
    assert verdict(claim, [0.90, 0.91, 0.92])["verdict"] == "differs"
    # A spread so wide that the unregularized model's 0.55 fits as well as the paper's 0.96.
    noisy = verdict(claim, [0.3, 0.96, 1.0, 0.5, 0.99])
    assert noisy["verdict"] == "inconclusive" and noisy["interval_low"] < 0.55 < noisy["interval_high"]
    with pytest.raises(ValueError, match="null"):
        verdict(_claim(paper_value=0.96), [0.96])


def test_the_mean_is_judged_by_its_standard_error_not_the_spread_of_runs():
    rng = np.random.default_rng(0)
    drop = rng.normal(0.105, 0.09, size=350)  # split-to-split sd 0.09, as Iris-Cancer's in-minus-out accuracy
    claim = _claim(paper_value=0.11, null_value=0.0, paper_runs=350)
    result = verdict(claim, drop)
    assert result["verdict"] == "holds" and result["interval_low"] > 0.05  # a model that ignored Iris would fail
    assert verdict(claim, drop - 0.105)["verdict"] == "differs"


def test_the_paper_value_carries_its_authors_rerun_spread():
    claim = _claim(paper_value=0.55, null_value=0.96, author_reruns=[0.5481, 0.552, 0.5155])
    result = verdict(claim, [0.572, 0.575, 0.56, 0.58, 0.57])
    assert result["paper_se"] == pytest.approx(
        math.sqrt((0.005 / math.sqrt(3)) ** 2 + np.var([0.5481, 0.552, 0.5155], ddof=1))
    )
    assert result["verdict"] == "holds"


@pytest.mark.parametrize(
    "values, expected",
    [([0.97, 0.98, 0.975], "holds"), ([0.90, 0.91, 0.92], "differs"), ([0.94, 0.99, 0.96], "inconclusive")],
)
def test_thresholds_need_the_whole_interval_on_one_side(values, expected):
    assert verdict(_claim(paper_value=0.95, compare="at_least"), values)["verdict"] == expected
    flipped = {"holds": "differs", "differs": "holds", "inconclusive": "inconclusive"}[expected]
    assert verdict(_claim(paper_value=0.95, compare="at_most"), values)["verdict"] == flipped


def test_paired_examples_are_differenced_element_by_element():
    a = np.array([1, 1, 1, 0, 1, 1, 1, 1] * 32, dtype=float)  # model A right where B is, and on 32 more
    b = a.copy()
    b[3::8] = 0
    b[0::8] = 0
    claim = _claim(paper_value=0.0, compare="at_least", unit="examples")
    result = verdict(claim, a, b)
    assert result["reproduced_value"] == pytest.approx(0.125) and result["n"] == 256
    assert result["reproduced_se"] == pytest.approx(np.std(a - b, ddof=1) / 16)
    assert result["verdict"] == "holds"


def test_not_comparable_and_reduced_scale_show_the_value_without_a_verdict():
    seconds = verdict(_claim(paper_value=0.03, scale="log10", not_comparable="hardware", null_value=1), [0.016])
    assert seconds["verdict"] == "not comparable" and seconds["reproduced_value"] == pytest.approx(math.log10(0.016))
    claim = _claim(
        paper_value=0.993,
        null_value=0.9,
        n_eval=10000,
        comparable_at={"adversarial.datasets.mnist.batches|adversarial.train.batches": 15000},
    )
    assert verdict(claim, [0.991], config=DEFAULT)["verdict"] == "reduced scale"
    paper_scale = {"adversarial": {"train": {"batches": 1000}, "datasets": {"mnist": {"batches": 15050}}}}
    assert verdict(claim, [0.991], config=paper_scale)["verdict"] == "holds"
    few = verdict(_claim(paper_value=0.92, null_value=0.81, comparable_at={"n_runs": 350}), [0.92, 0.91])
    assert few["verdict"] == "reduced scale" and "n_runs = 2 < 350" in few["note"]


def test_claims_table_reads_metrics_null_metrics_and_n_eval(tmp_path: Path):
    _metrics(tmp_path, "exp/a", acc=[0.95, 0.96, 0.97], n_eval={"acc": 10000})
    _metrics(tmp_path, "exp/b", acc=[0.55, 0.56, 0.54], single=[0.5])
    claims = {
        "close": _claim(paper_value=0.96, null_metric="exp/b:acc"),
        "far": _claim(paper_value=0.5, null_metric="exp/b:acc"),
        "diff": _claim(paper_value=0.4, minus="exp/b:acc", null_value=0.0),
        "one": _claim(metric="exp/b:single", paper_value=0.52, null_value=0.9, n_eval=100),
    }
    table = claims_table(claims, tmp_path)
    assert list(table.columns) == COLUMNS
    table = table.set_index("id")
    assert table.loc["close", "verdict"] == "holds" and table.loc["close", "null_value"] == pytest.approx(0.55)
    assert table.loc["far", "verdict"] == "differs" and not table.loc["far", "holds"]
    assert table.loc["diff", "reproduced_value"] == pytest.approx(0.41) and table.loc["diff", "verdict"] == "holds"
    assert table.loc["one", "interval_high"] > table.loc["one", "interval_low"]  # binomial error of 100 examples


def test_headline_counts_comparable_claims():
    verdicts = ["holds", "holds", "differs", "inconclusive", "reduced scale", "not comparable", "not comparable"]
    assert headline(verdicts) == (
        "2 of 4 comparable claims hold (1 differ, 1 inconclusive); 1 at reduced scale; 2 not comparable"
    )


def test_claims_files_are_well_formed():
    assert len(CLAIMS) > 100
    metrics = {(c["metric"], c.get("minus")) for c in CLAIMS.values() if c.get("metric")}
    for cid, claim in CLAIMS.items():
        assert set(claim) <= KEYS, (cid, set(claim) - KEYS)
        assert {"claim", "source", "paper_value"} <= set(claim), cid
        if "metric" not in claim:  # a stated result with nothing here to measure it: shown, never judged
            assert claim.get("not_comparable"), cid
            continue
        assert claim.get("compare", "approx") in ("approx", "at_least", "at_most"), cid
        assert claim.get("scale") in (None, "log10"), cid
        assert ":" in claim["metric"] and "/" in claim["metric"].split(":")[0], cid
        if claim.get("compare", "approx") == "approx" and not claim.get("not_comparable"):
            assert ("null_value" in claim) != ("null_metric" in claim), f"{cid}: give null_value or null_metric"
            assert claim.get("null_basis"), f"{cid}: say why the null is the null"
        if claim.get("null_metric"):
            # The null's typical value (for the power test below) is the paper value of the claim it is the metric of,
            # or the reference's value of that metric.
            null = (claim["null_metric"], claim.get("null_minus"))
            assert null in metrics or null in REFERENCE_NULLS, cid


# Null metrics whose own claim now tests something else (λ1 = 1e3 among the best): their reference value.
REFERENCE_NULLS = {("decoy-mnist-crossval/sweep:test_accuracy_1e3", None): "decoy_mnist:crossval.test.3"}


def _typical_null(claim: dict) -> float:
    if "null_value" in claim:
        return float(claim["null_value"])
    null = (claim["null_metric"], claim.get("null_minus"))
    if null in REFERENCE_NULLS:
        return float(reference_value(REFERENCE_NULLS[null], REPO / "config" / "reference"))
    (other,) = [c for c in CLAIMS.values() if (c.get("metric"), c.get("minus")) == null]
    return float(other["paper_value"])


APPROX = sorted(
    c for c, claim in CLAIMS.items() if claim.get("compare", "approx") == "approx" and not claim.get("not_comparable")
)
NEW_STATED_RESULTS = [  # every stated result has a row (issue "Every verdict earned", item 6)
    "decoy_mnist_crossval_too_large_l1_random", "toy_color_cutoff_keeps_at_least_2_percent",
    "iris_cancer_without_iris_higher_variance", "newsgroups_fig5_similar_weights", "iris_cancer_fig7_lime_single_feature",
    "decoy_mnist_fig10_erratic_and_reverting", "adv_mnist_fig19_gradient_norms", "adv_distillation_no_better_often_worse",
    "adv_gradreg_tgsm_robustness", "adv_mnist_fig16_overlaps", "thesis_l1l2_not_significantly_sparser",
    "adv_table2_human_study", "toy_color_less_data_plain_needs_almost_10000", "newsgroups_fae_test_unstable",
]


def test_every_stated_result_has_a_row():
    assert set(NEW_STATED_RESULTS) <= set(CLAIMS)
    assert CLAIMS["adv_table2_human_study"]["not_comparable"] == "no human study here"


def test_spread_statistics():
    from rrr.pipeline.claims import summarize

    assert summarize(np.array([1.0, 3.0]), "abs_deviation").tolist() == [1.0, 1.0]
    by_round = np.array([[1.0, 1.0], [0.5, 0.9], [0.7, 0.9], [0.9, 0.9]])  # [round][seed]; round 0 left out
    assert summarize(by_round, "sd_over_rounds") == pytest.approx([0.2, 0.0])
    with pytest.raises(ValueError, match="unknown statistic"):
        summarize(by_round, "var")


@pytest.mark.parametrize("cid", APPROX)
def test_every_approx_claim_has_the_power_to_fail(cid: str):
    """Fed its null value a claim must not hold; fed its paper value with a typical spread it must, unless the
    paper-scale config does not reach the claim's scale (then it shows the value as "reduced scale"). The power is
    the statistic's: a claim not comparable for its substitute data is tested as if the data were the paper's."""
    claim = {k: v for k, v in CLAIMS[cid].items() if k != "comparable_if"}
    null = _typical_null(claim)
    paper = float(claim["paper_value"])
    minus = np.zeros(5) if claim.get("minus") else None
    null_values = [null] if claim.get("null_metric") else None
    at_null = verdict(claim, np.full(5, null), minus, config=DEFAULT, null=null_values)
    assert at_null["verdict"] != "holds", at_null
    typical = paper + 0.05 * abs(paper - null) * np.array([-1, -0.5, 0, 0.5, 1]) / 0.79
    at_paper = verdict(claim, typical, minus, config=DEFAULT, null=null_values)
    assert at_paper["verdict"] in ("holds", "reduced scale"), at_paper


def test_statements_gated_by_training_length_say_why():
    """A statement is gated only where the paper-scale run shows its truth depends on training length, and says so."""
    statements = [c for c in CLAIMS if "_statement_" in c]
    assert statements and all(CLAIMS[c].get("over") == "seeds" for c in statements)
    gated = {c for c in statements if CLAIMS[c].get("comparable_at")}
    assert {f"adv_{d}_statement_distilled_fgsm_{s}" for d in ("mnist", "notmnist") for s in
            ("unperturbed", "examples_fool_nobody")} <= gated
    for cid in gated:
        assert "batches" in CLAIMS[cid]["note"], cid


@pytest.mark.parametrize("overlays", [[], ["smoke.yaml"]])
def test_every_claim_switch_is_a_boolean_of_the_config(overlays: list[str]):
    config = load_config(*(REPO / "config" / name for name in ["config.yaml", *overlays]))
    switches = {path for c in CLAIMS.values() for path in claim_switches(c)}
    assert switches, "the adversarial claims depend on their dataset being enabled"
    assert "adversarial.insensitive.train.insensitive-dbl" in switches  # and on the reading of "insensitive"
    for path in switches:
        value = config
        for key in path.split("."):
            value = value[key]
        assert isinstance(value, bool), path


def test_a_claim_may_require_several_switches():
    config = {"a": {"on": True, "off": False}}
    assert claim_switches({}) == [] and switched_on({}, config)
    assert claim_switches({"requires": "a.on"}) == ["a.on"] and switched_on({"requires": "a.on"}, config)
    assert switched_on({"requires": ["a.on", "a.on"]}, config)
    assert not switched_on({"requires": ["a.on", "a.off"]}, config)
    with pytest.raises(KeyError, match="a.typo"):
        switched_on({"requires": ["a.typo"]}, config)


def test_claim_ids_are_unique_across_files(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({"x": _claim(paper_value=1)}))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"x": _claim(paper_value=2)}))
    with pytest.raises(ValueError, match="defined twice"):
        load_claims(tmp_path)


def test_a_tie_without_spread_is_no_ordering():
    tie = np.ones(256)
    assert verdict(_claim(paper_value=0.0, compare="at_least", unit="examples"), tie, tie)["verdict"] == "inconclusive"


@pytest.mark.parametrize(
    "claim, values",
    [
        (_claim(paper_value=3, compare="at_least", scale="log10"), [1096.0]),  # Table 1's one speed-up
        (_claim(paper_value=0.5, compare="at_least"), [0.97]),  # one model's rule score
        (_claim(paper_value=0.1, compare="at_most"), [0.0] * 5),  # five identical scores, no model of their error
        (_claim(paper_value=1.0, null_value=0.5), [1.0] * 5),  # an integer paper value: no rounding error either
    ],
)
def test_a_value_without_an_error_estimate_decides_nothing(claim: dict, values: list[float]):
    result = verdict(claim, values)
    assert result["interval_low"] == pytest.approx(result["interval_high"])
    assert result["verdict"] == "inconclusive" and result["note"] == "no error estimate"


def test_boundary_accuracies_get_a_wilson_interval():
    # Five seeds all at 1.0 on 20000 images: 100000 of 100000, not an error of zero.
    claim = _claim(paper_value=1.0, null_value=0.5, n_eval=20000, author_reruns=[1.0, 1.0])
    result = verdict(claim, [1.0] * 5)
    assert result["interval_low"] < 1.0 - 5e-5 and result["verdict"] == "holds"
    # 0 of 256 unperturbed examples: the Wilson upper bound at Z = 3 is 9/265.
    none = verdict(_claim(paper_value=0.05, compare="at_most", unit="examples"), np.zeros(256))
    assert none["interval_high"] == pytest.approx(Z**2 / (256 + Z**2), rel=1e-6) and none["verdict"] == "holds"
    tight = verdict(_claim(paper_value=0.02, compare="at_most", unit="examples"), np.zeros(256))
    assert tight["verdict"] == "inconclusive"  # 0/256 cannot show a rate below 2% at 99.7%


def test_a_sweep_from_one_seed_is_one_run():
    claim = _claim(paper_value=0.9, compare="at_least", unit="sweep")
    grid = np.linspace(0.95, 1.0, 50)
    one = verdict(claim, grid, n_seeds=1)
    assert one["n"] == 1 and one["verdict"] == "inconclusive"  # 50 grid points of one sweep are not 50 runs
    three = verdict(claim, np.repeat(grid, 3) + np.tile([0.0, 0.001, -0.001], 50), n_seeds=3)
    assert three["n"] == 3 and three["verdict"] == "holds"
    assert three["reproduced_value"] == pytest.approx(grid.mean())


def test_statements_about_models_are_judged_over_seeds():
    claim = _claim(paper_value=0.0, compare="at_least", unit="examples", over="seeds")
    rng = np.random.default_rng(0)
    a = (rng.random(256 * 3) < 0.8).astype(float)
    b = (rng.random(256 * 3) < 0.5).astype(float)
    one = verdict(claim, a[:256], b[:256], n_seeds=1)
    assert one["verdict"] == "inconclusive" and one["note"] == "one model: judged over seeds needs ≥ 2"
    three = verdict(claim, a, b, n_seeds=3)
    d = (a - b).reshape(3, 256)
    expected = np.var(d.mean(axis=1), ddof=1) / 3 + d.var(axis=1, ddof=1).mean() / (256 * 3)
    assert three["n"] == 3 and three["reproduced_se"] == pytest.approx(math.sqrt(expected))
    assert three["verdict"] == "holds"
    # Seeds that disagree: the image-level error alone would call this; the seed-to-seed spread does not.
    split = np.concatenate([np.ones(256), -np.ones(256) * 0.8, np.ones(256) * 0.1])
    assert verdict(claim, split, np.zeros(768), n_seeds=3)["verdict"] == "inconclusive"


def test_substitute_data_or_model_is_not_comparable():
    claim = _claim(paper_value=0.0, compare="at_least", n_eval=1000, comparable_if={"x.dataset": "cifar10"})
    other = verdict(claim, [0.1, 0.12, 0.11], config={"x": {"dataset": "fashion_mnist"}})
    assert other["verdict"] == "not comparable" and "x.dataset = fashion_mnist" in other["note"]
    assert verdict(claim, [0.1, 0.12, 0.11], config={"x": {"dataset": "cifar10"}})["verdict"] == "holds"


def test_a_claim_without_a_metric_must_be_not_comparable(tmp_path: Path):
    row = evaluate_claim("h", {"claim": "c", "source": "s", "paper_value": 0.5, "not_comparable": "no study"}, tmp_path)
    assert row["verdict"] == "not comparable" and row["reproduced_value"] is None
    with pytest.raises(ValueError, match="only a not_comparable claim"):
        evaluate_claim("h", {"claim": "c", "source": "s", "paper_value": 0.5}, tmp_path)


def test_the_range_clips_the_interval():
    claim = _claim(paper_value=1.0, null_value=0.5, range=[0, 1])
    result = verdict(claim, [0.9, 1.0, 1.0, 0.95])
    assert result["interval_high"] == 1.0


def _recorded_tables():
    claims = load_claims(REPO / "config" / "claims")
    runs = {
        "all-2026-12-06-cpu": ["config/config.yaml"],
        "paper-2026-11-27-cpu": ["config/config.yaml", "docs/runs/paper-2026-11-27-cpu/no-fashion-mnist.yaml"],
        **{
            f"adversarial-paper-2026-11-27-h100/{d}": [
                "config/config.yaml",
                "config/adversarial-paper.yaml",
                f"docs/runs/adversarial-paper-2026-11-27-h100/gpu-{d}.yaml",
            ]
            for d in ("mnist", "notmnist")
        },
    }
    for run, files in runs.items():
        config = load_config(*(REPO / f for f in files))
        only = config["adversarial"]["only"]
        active = {
            c: claim
            for c, claim in claims.items()
            if switched_on(claim, config) and not (only and claim["file"] != "thesis_adversarial.yaml")
        }
        yield run, claims_table(active, RUNS / run / "metrics", config)


@pytest.mark.parametrize("run, table", list(_recorded_tables()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_recorded_row_decides_with_an_interval_of_zero_width(run: str, table):
    decided = table[table["verdict"].isin(["holds", "differs"])]
    zero = decided[(decided["interval_high"] - decided["interval_low"]).abs() < 1e-12]
    assert zero.empty, f"{run}: {list(zero['id'])}"
    one_model = table[table["id"].str.contains("_statement_") & (table["n"] < 2)]
    assert set(one_model["verdict"]) <= {"inconclusive", "reduced scale"}, run


def test_the_recorded_default_run_is_what_this_code_judges_from_its_metrics():
    """The claims table of the recorded default-profile run, judged again from its metrics, is the one it wrote."""
    run = "all-2026-12-06-cpu"
    table = dict(_recorded_tables())[run]
    recorded = pd.read_csv(RUNS / run / "claims.csv")
    assert list(recorded["id"]) == list(table["id"])
    assert list(recorded["verdict"]) == list(table["verdict"])
    assert np.allclose(recorded["reproduced_value"].astype(float), table["reproduced_value"].astype(float),
                       equal_nan=True)
