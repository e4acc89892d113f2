"""Figure 20: JSMA (θ=1, γ=0.25) turning the first MNIST 0 and 1 into every digit, per model."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.plots import save_figure, use_style
from rrr.plots.adversarial import MODEL_LABELS, image_grid
from rrr.pipeline.jobs import load_npz, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
g = load_npz(sm.input.grids[0])
side, clip = int(g["side"]), tuple(g["clip"])
fig, axes = plt.subplots(1, len(p.models), figsize=(4.2 * len(p.models), 1.9), layout="constrained",
                         squeeze=False)
for ax, m in zip(axes[0], p.models):
    images, pred = g[f"{m}_jsma"][p.rows], g[f"{m}_jsma_pred"][p.rows]
    failed = pred != np.arange(10)[None, :]
    image_grid(ax, images, side, clip, outline_diagonal=p.rows == list(range(len(p.rows))),
               row_labels=[str(r) for r in p.rows], col_labels=[str(t) for t in range(10)], marks=failed)
    ax.set_title(f"{MODEL_LABELS[m]}: {int((~failed).sum())}/{failed.size} reach the target", fontsize=9)
    ax.set_xlabel("target")
fig.suptitle("JSMA on MNIST (rows: original digit; an orange dot marks a target not reached)", fontsize=10)
save_figure(fig, sm.output[0], sm.output[1])
