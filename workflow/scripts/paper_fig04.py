"""Figure 4: find-another-explanation on Toy Color. Top: M_0.67[f_X|θ_i] on Xt[0:16] (seed 0);
bottom: train and test accuracy of θ0, θ1 (λ1 = 1e3), θ2 (λ1 = 1e6), mean ± sd over seeds."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.toy_color import accuracy_by_round, explanation_grid
from rrr.paper.toy_color import gradient_pixels

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
metrics = read_json(sm.input.metrics)
cached = load_npz(sm.input.gradients)
rounds = metrics["rounds"]
images, gradients = cached["images"], cached["gradients"]
ncols = int(np.ceil(np.sqrt(len(images))))
fig = plt.figure(figsize=(8, 6), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1], hspace=0.04)
for i, sub in enumerate(top.subfigures(1, rounds, wspace=0.05)):
    l1 = metrics[f"theta{i}_l1"]
    setting = "A = 0" if i == 0 else f"$\\lambda_1 = 10^{{{np.log10(l1):.0f}}}$"
    explanation_grid(sub, images, gradient_pixels(gradients[i, 0], sm.params.cutoff), ncols,
                     f"$M_{{{sm.params.cutoff}}}[f_X|\\theta_{i}]$  ({setting})")
ax = bottom.subplots()
accuracy_by_round(
    ax,
    [metrics[f"theta{i}_train_accuracy"] for i in range(rounds)],
    [metrics[f"theta{i}_test_accuracy"] for i in range(rounds)],
    sm.params.paper_test,
)
ax.legend(loc="lower left", fontsize=8)
save_figure(fig, sm.output[0], sm.output[1])
