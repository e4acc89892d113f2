"""Render results/{profile}/claims.csv as an HTML table with a pass/fail verdict per claim."""

from pathlib import Path

import pandas as pd

from rrr.experiments import log_to

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])

table = pd.read_csv(sm.input[0])
passed = int(table["holds"].sum())
view = pd.DataFrame(
    {
        "claim": table["claim"],
        "source": table["source"],
        "paper": table["paper_value"].map("{:.4g}".format),
        "reproduced (mean ± sd, n)": [
            f"{m:.4g} ± {s:.2g} (n = {n})"
            for m, s, n in zip(table["reproduced_value"], table["reproduced_sd"], table["n_runs"])
        ],
        "tolerance": table["tolerance"].map("{:.3g}".format),
        "compare": table["compare"],
        "verdict": table["holds"].map({True: "pass", False: "fail"}),
    }
)
colours = {"pass": "background-color: #d8f0dd", "fail": "background-color: #f8d7d4"}
styled = (
    view.style.hide(axis="index")
    .map(lambda v: colours.get(v, ""), subset=["verdict"])
    .set_table_attributes('class="claims"')
)
html = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Claims</title>
<style>
body {{ font-family: sans-serif; font-size: 14px; margin: 1em; }}
table.claims {{ border-collapse: collapse; }}
table.claims th, table.claims td {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }}
table.claims th {{ background: #f2f2f2; text-align: left; }}
table.claims td:nth-child(n+3) {{ white-space: nowrap; }}
</style></head><body>
<h2>Claims: {passed} of {len(table)} hold ({sm.config["profile"]} profile)</h2>
{styled.to_html()}
</body></html>
"""
tmp = Path(sm.output[0]).with_suffix(".tmp")
tmp.write_text(html, encoding="utf-8")
tmp.replace(sm.output[0])
