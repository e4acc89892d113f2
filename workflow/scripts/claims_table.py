"""Render results/{profile}/claims.csv as an HTML table with the verdict of each claim; the headline is its title."""

import html

import pandas as pd

from rrr.pipeline.claims import Z, headline
from rrr.pipeline.jobs import start_job, write_text

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)

table = pd.read_csv(sm.input[0], keep_default_na=False, na_values=[""])
title = headline(table["verdict"])
view = pd.DataFrame(
    {
        "claim": table["claim"],
        "source": table["source"],
        "paper": table["paper_value"].map("{:.4g}".format),
        "reproduced (n)": [f"{m:.4g} (n = {n})" for m, n in zip(table["reproduced_value"], table["n"])],
        f"interval (± {Z:g} se)": [
            f"[{lo:.4g}, {hi:.4g}]" for lo, hi in zip(table["interval_low"], table["interval_high"])
        ],
        "compare": table["compare"],
        "null": [
            "" if pd.isna(v) else f"{v:.4g}: {b if isinstance(b, str) else ''}"
            for v, b in zip(table["null_value"], table["null_basis"])
        ],
        "verdict": table["verdict"],
        "note": table["note"].fillna(""),
    }
)
colours = {
    "holds": "background-color: #d8f0dd",
    "differs": "background-color: #f8d7d4",
    "inconclusive": "background-color: #fdf1c7",
    "reduced scale": "background-color: #e4e4e4",
    "not comparable": "background-color: #e4e4e4",
}
styled = (
    view.style.hide(axis="index")
    .map(lambda v: colours.get(v, ""), subset=["verdict"])
    .set_table_attributes('class="claims"')
)
page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; font-size: 14px; margin: 1em; }}
table.claims {{ border-collapse: collapse; }}
table.claims th, table.claims td {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }}
table.claims th {{ background: #f2f2f2; text-align: left; }}
table.claims td:nth-child(n+3):nth-child(-n+6) {{ white-space: nowrap; }}
</style></head><body>
<h2>Claims ({html.escape(sm.config["profile"])} profile): {html.escape(title)}</h2>
<p>Each interval is this run's estimate ± {Z:g} combined standard errors (ours and the paper value's); see
config/claims/README.md for the rule.</p>
{styled.to_html()}
</body></html>
"""
write_text(page, sm.output[0])
