"""Figure 12 (App. B): Toy-Color test accuracy vs number of training examples for A = 0 and the
Pro/Anti-Rule masks (λ1 = 1e4, normalized losses), mean ± sd over seeds; the reference's stored
models (rescored on a fresh test set, spec §4.3) as small crosses."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.pipeline.jobs import read_json, start_job
from rrr.plots import PALETTE, save_figure, use_style
from rrr.plots.toy_color import annotation_mask, learning_curves
from rrr.paper.toy_color import condition_masks

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
summary = read_json(sm.input.summary)
sizes = summary["sizes"]
STYLES = {
    "plain": {"color": "0.15", "label": "A = 0", "marker": "o"},
    "pro_rule1": {"color": PALETTE[0], "label": "Pro-Rule 1 (all but corners)", "marker": "^"},
    "anti_rule2": {"color": PALETTE[1], "label": "Anti-Rule 2 (top middle)", "marker": "v"},
    "pro_rule2": {"color": PALETTE[2], "label": "Pro-Rule 2 (all but top middle)", "marker": "s"},
    "anti_rule1": {"color": PALETTE[4], "label": "Anti-Rule 1 (corners)", "marker": "D"},
}
SHORT = {"pro_rule1": "Pro-Rule 1", "anti_rule2": "Anti-Rule 2", "pro_rule2": "Pro-Rule 2", "anti_rule1": "Anti-Rule 1"}
# Reference §4.3: test accuracy of the authors' stored models at 11 of the 32 sizes (config/reference/toy_color.yaml).
STORED = dict(sm.params.stored)
STORED_SIZES = STORED.pop("sizes")
panels = (["plain", "pro_rule1", "anti_rule2"], ["plain", "pro_rule2", "anti_rule1"])
n_seeds = len(summary["seeds"])
fig = plt.figure(figsize=(11, 4), layout="constrained")
main, side = fig.subfigures(1, 2, width_ratios=[9, 1])
axes = main.subplots(1, 2, sharey=True)
for ax, c in zip(side.subplots(4, 1), [c for names in panels for c in names[1:]]):
    annotation_mask(ax, condition_masks()[c], STYLES[c]["color"], SHORT[c])
side.suptitle("A (gray)", fontsize=9)
for ax, names in zip(axes, panels):
    learning_curves(ax, sizes, {c: np.asarray(summary[f"{c}_test_accuracy"]) for c in names}, STYLES)
    for c in names:
        ax.scatter(STORED_SIZES, STORED[c], marker="x", s=18, color=STYLES[c]["color"], alpha=0.7, zorder=4)
    ax.axhline(sm.params.paper_level, color="0.5", linestyle=":", linewidth=0.9)
    ax.axvline(100, color="0.5", linestyle=":", linewidth=0.9)
    ax.scatter([], [], marker="x", color="0.4", label="authors' stored models (ref. §4.3)")
    ax.legend(loc="lower right", fontsize=8)
axes[1].set_ylabel("")
fig.suptitle(f"Toy Color: explanations can reduce data requirements (mean ± sd over {n_seeds} seeds; "
             "dotted: 95% and N = 100)", fontsize=10)
save_figure(fig, sm.output[0], sm.output[1])
