"""The status page (``docs/status.md``) written from recorded claims tables, so that its counts cannot drift from them.

    python -m rrr.pipeline.status docs/runs/<run>/claims.csv [...] > docs/status.md
    python -m rrr.pipeline.status --readme README.md docs/runs/<run>/claims.csv [...]
    python -m rrr.pipeline.status --against old/claims.csv new/claims.csv

Each table becomes a section: its headline (:func:`rrr.pipeline.claims.headline`), its verdicts counted per chapter,
every row beside the paper's value, and the notes of the rows that do not hold. The page's first line records the
command, so that a test can write the page again and compare. ``--readme`` writes the same headlines between the
README's status markers; ``--against`` lists the rows whose verdict moved between two tables.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from rrr.atomic import atomic_path
from rrr.pipeline.claims import VERDICTS, headline

CHAPTERS = (("adv_", "Thesis: interpretability and robustness"), ("thesis_", "Thesis: other chapters"), ("", "Paper"))


def chapter(claim_id: str) -> str:
    """The part of the two works a claim comes from, by its id's prefix (``adv_``, ``thesis_``, else the paper)."""
    return next(name for prefix, name in CHAPTERS if claim_id.startswith(prefix))


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.4g}"  # type: ignore[arg-type]


def _cell(text: object) -> str:
    return "" if pd.isna(text) else str(text).replace("|", "\\|").replace("\n", " ")  # type: ignore[call-overload]


def section(table: pd.DataFrame, title: str) -> str:
    """One claims table as Markdown: headline, counts per chapter, every row, and the notes of rows that do not hold."""
    table = table.assign(chapter=table["id"].map(chapter))
    counts = pd.crosstab(table["chapter"], table["verdict"]).reindex(columns=list(VERDICTS), fill_value=0)
    lines = [f"## {title}", "", f"**{headline(table['verdict'])}**", "", "| chapter | " + " | ".join(VERDICTS) + " |",
             "|---|" + "---|" * len(VERDICTS)]
    for name, row in counts.iterrows():
        lines.append(f"| {name} | " + " | ".join(str(int(row[v])) for v in VERDICTS) + " |")
    lines += ["", "| claim | paper | ours | interval | n | verdict |", "|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        interval = f"[{_number(r.interval_low)}, {_number(r.interval_high)}]" if _number(r.interval_low) else ""
        lines.append(f"| {_cell(r.claim)} (`{r.id}`) | {_number(r.paper_value)} | {_number(r.reproduced_value)} | "
                     f"{interval} | {_cell(r.n)} | {r.verdict} |")
    open_rows = table[~table["verdict"].isin(["holds"])]
    if len(open_rows):
        lines += ["", "Notes of the rows that do not hold:", ""]
        lines += [f"- `{r.id}` ({r.verdict}): {_cell(r.note) or 'no note'}" for _, r in open_rows.iterrows()]
    return "\n".join(lines) + "\n"


def status_page(paths: Sequence[str | Path]) -> str:
    """The whole page for these claims tables, in order; a section's title is the folder of its run record."""
    command = "python -m rrr.pipeline.status " + " ".join(Path(p).as_posix() for p in paths)
    parts = [f"<!-- written by `{command}`: do not edit, write it again -->", "", "# Status", "",
             "Every number the papers state, beside the pipeline's, as recorded in the runs below (`docs/runs/`). "
             "How a verdict is reached: `config/claims/README.md`; what each difference means: "
             "[status-notes.md](status-notes.md).", ""]
    for path in paths:
        parts.append(section(pd.read_csv(path), f"`{Path(path).parent.as_posix()}`"))
    return "\n".join(parts)


README_BEGIN = "<!-- status: written by python -m rrr.pipeline.status --readme; do not edit -->"
README_END = "<!-- /status -->"


def readme_block(paths: Sequence[str | Path]) -> str:
    """The README's status lines: each recorded run's headline, the run named by its folder less the date (the
    README is a guide, not a record; docs/status.md names the folders)."""
    lines = [README_BEGIN]
    for path in paths:
        run = re.sub(r"-\d{4}-\d{2}-\d{2}[a-z]?(?=[-/]|$)", "", Path(path).parent.as_posix().removeprefix("docs/runs/"))
        lines.append(f"- {run}: **{headline(pd.read_csv(path)['verdict'])}**")
    return "\n".join([*lines, README_END])


def write_readme(readme: str | Path, paths: Sequence[str | Path]) -> None:
    """Replace the block between the README's status markers by :func:`readme_block`; an error if a marker is missing."""
    text = Path(readme).read_text()
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no status block: put the lines {README_BEGIN!r} and {README_END!r} where the "
                         "headlines go, then run this again")
    with atomic_path(readme) as tmp:
        tmp.write_text(text[:start] + readme_block(paths) + text[end + len(README_END):])


def verdict_moves(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Rows whose verdict differs between two claims tables (added and removed rows too), with the new row's note."""
    merged = old[["id", "verdict"]].merge(new[["id", "verdict", "note"]], on="id", how="outer",
                                          suffixes=("_before", "_after"))
    merged[["verdict_before", "verdict_after"]] = merged[["verdict_before", "verdict_after"]].fillna("(no row)")
    return merged[merged["verdict_before"] != merged["verdict_after"]].sort_values("id").reset_index(drop=True)


def moves_markdown(old_path: str | Path, new_path: str | Path) -> str:
    """:func:`verdict_moves` as Markdown: both headlines, then one line per moved row."""
    old, new = pd.read_csv(old_path), pd.read_csv(new_path)
    moves = verdict_moves(old, new)
    lines = [f"Before (`{Path(old_path).as_posix()}`): **{headline(old['verdict'])}**", "",
             f"After (`{Path(new_path).as_posix()}`): **{headline(new['verdict'])}**", "",
             f"{len(moves)} rows moved:", "", "| claim | before | after | note (after) |", "|---|---|---|---|"]
    lines += [f"| `{r.id}` | {r.verdict_before} | {r.verdict_after} | {_cell(r.note)} |" for r in moves.itertuples()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rrr.pipeline.status", description=__doc__.splitlines()[0])
    parser.add_argument("claims", nargs="+", help="claims.csv files of recorded runs (docs/runs/<run>/claims.csv)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--readme", metavar="README", help="write the headlines into this file's status block")
    mode.add_argument("--against", metavar="OLD", help="list the rows whose verdict moved from OLD to the one table")
    args = parser.parse_args(argv)
    missing = [p for p in [*args.claims, *([args.against] if args.against else [])] if not Path(p).is_file()]
    if missing:
        print(f"error: no such claims table: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.against:
        if len(args.claims) != 1:
            print("error: --against compares one table with OLD: give exactly one claims.csv", file=sys.stderr)
            return 2
        sys.stdout.write(moves_markdown(args.against, args.claims[0]))
    elif args.readme:
        try:
            write_readme(args.readme, args.claims)
        except (OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(status_page(args.claims))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
