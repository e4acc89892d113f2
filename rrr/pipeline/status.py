"""The status page (``docs/status.md``) written from recorded claims tables, so that its counts cannot drift from them.

    python -m rrr.pipeline.status docs/runs/<run>/claims.csv [...] > docs/status.md

Each table becomes a section: its headline (:func:`rrr.pipeline.claims.headline`), its verdicts counted per chapter,
every row beside the paper's value, and the notes of the rows that do not hold. The page's first line records the
command, so that a test can write the page again and compare.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rrr.pipeline.status", description=__doc__.splitlines()[0])
    parser.add_argument("claims", nargs="+", help="claims.csv files of recorded runs (docs/runs/<run>/claims.csv)")
    args = parser.parse_args(argv)
    missing = [p for p in args.claims if not Path(p).is_file()]
    if missing:
        print(f"error: no such claims table: {', '.join(missing)}", file=sys.stderr)
        return 2
    sys.stdout.write(status_page(args.claims))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
