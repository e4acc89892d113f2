"""Claims: tolerance rule, verdicts, and the shape of config/claims.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from rrr.claims import COLUMNS, claims_table, tolerance

REPO = Path(__file__).resolve().parents[1]


def _metrics(root: Path, name: str, **values: list[float]) -> None:
    path = root / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))


def test_tolerance_is_three_sd_plus_author_spread():
    values = np.array([0.50, 0.52, 0.54])
    assert tolerance(values, 0.55, [0.5481, 0.552, 0.5155]) == pytest.approx(3 * 0.02 + 0.0345)
    assert tolerance(np.array([0.9]), 0.96) == 0.0


def test_verdicts(tmp_path: Path):
    _metrics(tmp_path, "exp/a", acc=[0.95, 0.96, 0.97], secs=[2e-5])
    _metrics(tmp_path, "exp/b", acc=[0.90, 0.91, 0.92])
    claims = {
        "close": {"claim": "c", "source": "s", "paper_value": 0.99, "metric": "exp/a:acc"},
        "far": {"claim": "c", "source": "s", "paper_value": 0.5, "metric": "exp/a:acc"},
        "diff": {"claim": "c", "source": "s", "paper_value": 0.05, "metric": "exp/a:acc", "minus": "exp/b:acc"},
        "floor": {"claim": "c", "source": "s", "paper_value": 0.97, "metric": "exp/a:acc", "compare": "at_least"},
        "log": {"claim": "c", "source": "s", "paper_value": 1e-5, "metric": "exp/a:secs", "scale": "log10",
                "author_reruns": [5e-5]},
    }
    table = claims_table(claims, tmp_path).set_index("id")
    assert list(table.reset_index()[COLUMNS].columns) == COLUMNS
    assert table.loc["close", "holds"]  # |0.96 − 0.99| ≤ 3 × 0.01
    assert not table.loc["far", "holds"]
    assert table.loc["diff", "holds"] and table.loc["diff", "reproduced_value"] == pytest.approx(0.05)
    assert not table.loc["floor", "holds"]
    assert table.loc["log", "paper_value"] == pytest.approx(-5)
    assert table.loc["log", "tolerance"] == pytest.approx(np.log10(5))
    assert table.loc["log", "holds"]


def test_claims_file_is_well_formed():
    claims = yaml.safe_load((REPO / "config" / "claims.yaml").read_text())
    for cid, claim in claims.items():
        assert {"claim", "source", "paper_value", "metric"} <= set(claim), cid
        assert claim.get("compare", "approx") in ("approx", "at_least", "at_most"), cid
        assert claim.get("scale") in (None, "log10"), cid
        assert ":" in claim["metric"] and "/" in claim["metric"].split(":")[0], cid


@pytest.mark.parametrize("profile", ["config.yaml", "smoke.yaml"])
def test_every_claim_switch_is_a_boolean_of_the_config(profile: str):
    claims = yaml.safe_load((REPO / "config" / "claims.yaml").read_text())
    config = yaml.safe_load((REPO / "config" / profile).read_text())
    switches = {c["requires"] for c in claims.values() if c.get("requires")}
    assert switches, "the adversarial claims depend on their dataset being enabled"
    for path in switches:
        value = config
        for key in path.split("."):
            value = value[key]
        assert isinstance(value, bool), path
