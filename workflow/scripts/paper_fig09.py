"""Figure 9: Decoy-MNIST explanations and test accuracy for A = 0, full A and the MNIST baseline."""

import matplotlib.pyplot as plt

from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import gradient_overlay, mean_sd_bars, save_figure, use_style

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
titles = {"plain": "A = 0", "annotated": "full A", "baseline": "baseline\n(plain MNIST)"}
conditions, rows = sm.params.conditions, sm.params.rows
fig = plt.figure(figsize=(9, 4.6), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.25, 1])
axes = left.subplots(len(conditions), len(rows))
for i, (condition, path) in enumerate(zip(conditions, sm.input.gradients)):
    cached = load_npz(path)
    for j, row in enumerate(rows):
        ax = axes[i, j]
        probs = cached["probabilities"][0, row]
        gradient_overlay(ax, cached["images"][row], cached["gradients"][0, row])
        ax.set_title(f"y={cached['labels'][row]}, ŷ={probs.argmax()} ({probs.max():.2f})", fontsize=8)
        if j == 0:
            ax.set_ylabel(titles[condition], fontsize=9)
left.suptitle("∇ max p̂ on test images (seed 0)", fontsize=10)

ax = right.subplots()
accuracies = [read_json(p)["test_accuracy"] for p in sm.input.metrics]
mean_sd_bars(ax, [titles[c] for c in conditions], accuracies, [sm.params.paper_values[c] for c in conditions])
ax.set_ylim(0, 1)
ax.set_ylabel("test accuracy")
ax.set_title("Decoy-MNIST test accuracy")
ax.legend(loc="lower right", fontsize=8)
save_figure(fig, sm.output[0], sm.output[1])
