"""rrr.pipeline.provenance: what a run records about its code, config, software and machine, and the diff of two runs."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rrr.pipeline.provenance import SAME, collect, compare, git_state

REPO = Path(__file__).resolve().parents[1]
CONFIG = {"profile": "smoke", "decoy_mnist": {"seeds": [0, 1], "lime": {"ratio": 0.2, "kernel_size": 4}}}


@pytest.fixture(scope="module")
def record() -> dict:
    return collect(CONFIG, ["config/smoke.yaml"], REPO, code={"paper_fig07": "1" * 16, "adversarial_train": "2" * 16})


def test_collect_records_code_config_software_and_machine(record: dict):
    assert set(record) == {"git", "config", "code", "versions", "machine", "time_utc"}
    assert list(record["code"]) == ["adversarial_train", "paper_fig07"]  # rule -> code hash, sorted
    assert {"commit", "dirty", "changes", "changes_sha256", "reason"} <= set(record["git"])
    if (REPO / ".git").exists():
        assert re.fullmatch(r"[0-9a-f]{40}", record["git"]["commit"]) and isinstance(record["git"]["dirty"], bool)
    assert re.fullmatch(r"[0-9a-f]{64}", record["config"]["sha256"])
    [overlay] = record["config"]["files"]
    assert overlay["path"] == "config/smoke.yaml" and re.fullmatch(r"[0-9a-f]{64}", overlay["sha256"])
    versions = record["versions"]
    assert {"python", "torch", "numpy", "scipy", "pandas", "scikit-learn", "lime", "captum",
            "adversarial-robustness-toolbox", "snakemake", "matplotlib"} <= set(versions)
    assert versions["torch"] and versions["numpy"]
    assert {"platform", "processor", "logical_cores", "cuda_available", "cuda_devices", "torch_threads"} <= set(
        record["machine"]
    )
    assert record["time_utc"].endswith("+00:00")
    json.dumps(record)  # JSON-ready


def test_config_hash_changes_with_a_value_not_with_key_order(record: dict):
    reordered = {"decoy_mnist": {"lime": {"kernel_size": 4, "ratio": 0.2}, "seeds": [0, 1]}, "profile": "smoke"}
    changed = copy.deepcopy(CONFIG)
    changed["decoy_mnist"]["lime"]["ratio"] = 0.3
    assert collect(reordered, [], REPO)["config"]["sha256"] == record["config"]["sha256"]
    assert collect(changed, [], REPO)["config"]["sha256"] != record["config"]["sha256"]


def test_outside_a_git_checkout_the_commit_is_null_with_a_reason(tmp_path: Path):
    state = git_state(tmp_path)
    assert state["commit"] is None and state["dirty"] is None and state["reason"]


def test_compare_is_empty_for_the_same_run_and_names_what_differs(record: dict):
    assert compare(record, copy.deepcopy(record)) == []
    later = copy.deepcopy(record)
    later["time_utc"] = "2100-01-01T00:00:00+00:00"
    assert compare(record, later) == []  # the time is not the code
    other = copy.deepcopy(record)
    other["git"].update(commit="0" * 40, dirty=not record["git"]["dirty"], changes_sha256="f" * 64)
    other["config"]["sha256"] = "e" * 64
    other["versions"]["torch"] = "0.0.1"
    other["code"]["paper_fig07"] = "3" * 16
    other["machine"]["cuda_available"] = not record["machine"]["cuda_available"]
    lines = compare(record, other)
    assert any(line.startswith("git commit:") and "0" * 40 in line for line in lines)
    assert any(line.startswith("uncommitted changes:") for line in lines)
    assert any(line.startswith("config hash:") and "eeeeeeeeeeee" in line for line in lines)
    assert any(line.startswith("versions torch:") for line in lines)
    assert f"code paper_fig07: {'1' * 16} vs {'3' * 16}" in lines
    assert not any("adversarial_train" in line for line in lines)
    assert any(line.startswith("machine cuda_available:") for line in lines)
    dirty = copy.deepcopy(record)
    dirty["git"].update(dirty=True, changes_sha256="a" * 64)
    edited = copy.deepcopy(dirty)
    edited["git"]["changes_sha256"] = "b" * 64
    assert compare(dirty, edited) == ["uncommitted changes differ: aaaaaaaaaaaa vs bbbbbbbbbbbb"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rrr.pipeline.provenance", *args], capture_output=True, text=True, timeout=60)


def test_cli_diff_exit_codes(record: dict, tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "provenance.json").write_text(json.dumps(record))
    (a / "claims.csv").write_text("id\n")
    same = _cli("diff", str(a / "provenance.json"), str(a / "claims.csv"))  # a claims.csv: provenance.json beside it
    assert same.returncode == 0 and same.stdout.strip() == SAME
    other = copy.deepcopy(record)
    other["git"]["commit"] = "1" * 40
    (b / "provenance.json").write_text(json.dumps(other))
    differ = _cli("diff", str(a / "provenance.json"), str(b / "provenance.json"))
    assert differ.returncode == 1 and "git commit:" in differ.stdout
    missing = _cli("diff", str(a / "provenance.json"), str(tmp_path / "nowhere" / "claims.csv"))
    assert missing.returncode == 2 and "no provenance record" in missing.stderr
