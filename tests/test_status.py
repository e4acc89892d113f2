"""docs/status.md is written from recorded claims tables (rrr.pipeline.status), so it cannot drift from them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from rrr.pipeline.claims import headline
from rrr.pipeline.status import chapter, status_page

REPO = Path(__file__).resolve().parents[1]


def test_the_status_page_is_what_its_command_writes_from_the_recorded_tables(monkeypatch):
    page = (REPO / "docs" / "status.md").read_text()
    command = re.match(r"<!-- written by `python -m rrr.pipeline.status ([^`]+)`", page)
    assert command, "docs/status.md must start with the command that wrote it"
    monkeypatch.chdir(REPO)
    paths = command.group(1).split()
    assert page == status_page(paths), "docs/status.md is stale: write it again with the command on its first line"
    for path in paths:  # every headline on the page is its table's
        assert f"**{headline(pd.read_csv(REPO / path)['verdict'])}**" in page


def test_claims_are_counted_under_their_chapter():
    assert chapter("adv_mnist_clean_normal") == "Thesis: interpretability and robustness"
    assert chapter("thesis_hessian_flat") == "Thesis: other chapters"
    assert chapter("decoy_mnist_plain_test") == "Paper"
