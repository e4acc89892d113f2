"""Collect Figure 12's curves: test accuracy per condition × training size × seed, each condition's
best accuracy below the configured sizes (for the claims), and the notebook's "extra data the normal
model needs" ratios (reference §4.3) from the seed-mean curves."""

import numpy as np

from rrr.pipeline.jobs import read_json, start_job, write_json
from rrr.paper.toy_color import best_below, extra_data_ratio

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
runs = sorted((read_json(path) for path in sm.input.metrics), key=lambda r: r["size"])
sizes = [r["size"] for r in runs]
conditions = list(sm.params.conditions)
summary: dict = {"sizes": sizes, "seeds": runs[0]["seeds"]}  # training times: less-data/n<size>.timing.json
curves = {c: np.array([r[f"{c}_test_accuracy"] for r in runs]) for c in conditions}  # (sizes, seeds)
for c, acc in curves.items():
    summary[f"{c}_test_accuracy"] = acc.tolist()
    for limit in sm.params.below:
        summary[f"{c}_best_accuracy_below_{limit}"] = best_below(sizes, acc, limit).tolist()
    if c != "plain":
        summary[f"{c}_minus_plain_mean"] = (acc - curves["plain"]).mean(axis=0).tolist()
        for limit in sm.params.below:
            below = np.asarray(sizes) < limit
            summary[f"{c}_minus_plain_mean_below_{limit}"] = (acc - curves["plain"])[below].mean(axis=0).tolist()
plain_mean = curves["plain"].mean(axis=1)
summary["extra_data_plain_needs"] = {
    c: {level: extra_data_ratio(sizes, plain_mean, curves[c].mean(axis=1), float(level)) for level in printed}
    for c, printed in sm.params.reference_ratios.items()
}
summary["extra_data_plain_needs_reference"] = sm.params.reference_ratios
write_json(summary, sm.output[0])
