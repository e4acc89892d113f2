"""Figure 21: iterated TGSM (step 0.1) from the first test image of each class (rows) towards every
class (columns), per dataset and model; the diagonal (the untouched target) is outlined."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.data.adversarial import CLASS_NAMES, LABELS
from rrr.plots import save_figure, use_style
from rrr.plots.adversarial import MODEL_LABELS, image_grid
from rrr.pipeline.jobs import load_npz, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
fig, axes = plt.subplots(len(p.datasets), len(p.models), figsize=(3.3 * len(p.models), 3.5 * len(p.datasets)),
                         layout="constrained", squeeze=False)
for r, (dataset, path) in enumerate(zip(p.datasets, sm.input.grids)):
    g = load_npz(path)
    names = CLASS_NAMES[p.sources[dataset]]
    for c, m in enumerate(p.models):
        ax = axes[r, c]
        reached = g[f"{m}_tgsm_pred"] == np.arange(10)[None, :]
        image_grid(ax, g[f"{m}_tgsm"], int(g["side"]), tuple(g["clip"]), row_labels=names, col_labels=names,
                   marks=~reached)
        ax.set_title(f"{MODEL_LABELS[m]}", fontsize=9)
        if c == 0:
            label = f"{LABELS[p.sources[dataset]]}\n{int(g['iterations'])} iterations\noriginal class"
            ax.set_ylabel(label, fontsize=9)
        if r == len(p.datasets) - 1:
            ax.set_xlabel("target class")
fig.suptitle("Iterated TGSM (step 0.1); an orange dot marks a target the model does not predict", fontsize=10)
save_figure(fig, sm.output[0], sm.output[1])
