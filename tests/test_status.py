"""docs/status.md is written from recorded claims tables (rrr.pipeline.status), so it cannot drift from them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from rrr.pipeline.claims import headline
from rrr.pipeline.status import (
    README_BEGIN, README_END, chapter, readme_block, status_page, verdict_moves, write_readme,
)

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


def test_the_readme_headlines_are_the_status_pages(monkeypatch):
    page = (REPO / "docs" / "status.md").read_text()
    paths = re.match(r"<!-- written by `python -m rrr.pipeline.status ([^`]+)`", page).group(1).split()
    monkeypatch.chdir(REPO)
    assert readme_block(paths) in (REPO / "README.md").read_text(), (
        "README.md's status block is stale: run `python -m rrr.pipeline.status --readme README.md` with the tables "
        "on docs/status.md's first line")


def test_write_readme_replaces_only_the_block_and_names_a_missing_marker(tmp_path):
    table = tmp_path / "run" / "claims.csv"
    table.parent.mkdir()
    pd.DataFrame({"id": ["a", "b"], "verdict": ["holds", "differs"]}).to_csv(table, index=False)
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{README_BEGIN}\nold headline\n{README_END}\noutro\n")
    write_readme(readme, [table])
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("\noutro\n") and "old headline" not in text
    assert "**1 of 2 comparable claims hold (1 differ, 0 inconclusive)" in text
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="no status block"):
        write_readme(readme, [table])
    assert readme.read_text() == "no markers\n"


def test_verdict_moves_lists_changed_added_and_removed_rows():
    old = pd.DataFrame({"id": ["same", "moved", "gone"], "verdict": ["holds", "holds", "differs"]})
    new = pd.DataFrame({"id": ["same", "moved", "new"], "verdict": ["holds", "inconclusive", "holds"],
                        "note": ["", "one model", "added"]})
    moves = verdict_moves(old, new).set_index("id")
    assert sorted(moves.index) == ["gone", "moved", "new"]
    assert tuple(moves.loc["moved", ["verdict_before", "verdict_after"]]) == ("holds", "inconclusive")
    assert moves.loc["gone", "verdict_after"] == "(no row)" and moves.loc["new", "verdict_before"] == "(no row)"
