"""Figure 22: input gradients ∇ₓ Σ_k log p̂ of each defense on one test image of each class 0–5."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.data.adversarial import CLASS_NAMES, LABELS
from rrr.plots import save_figure, use_style
from rrr.plots.adversarial import MODEL_LABELS, signed_image
from rrr.pipeline.jobs import load_npz, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
fig = plt.figure(figsize=(4.6 * len(p.datasets), 0.8 * (len(p.models) + 1) + 0.6), layout="constrained")
for sub, dataset, path in zip(np.atleast_1d(fig.subfigures(1, len(p.datasets))), p.datasets, sm.input.statistics):
    s = load_npz(path)
    side, clip, n = int(s["side"]), tuple(s["clip"]), len(s["labels"])
    axes = sub.subplots(len(p.models) + 1, n, squeeze=False)
    for j in range(n):
        axes[0, j].imshow(s["images"][j].reshape(side, side), cmap="gray_r", vmin=clip[0], vmax=clip[1])
        axes[0, j].set_title(CLASS_NAMES[p.sources[dataset]][int(s["labels"][j])], fontsize=8)
        axes[0, j].axis("off")
        for i, m in enumerate(p.models, start=1):
            signed_image(axes[i, j], s[f"{m}_explanations"][j], side)
            if j == 0:
                axes[i, j].set_ylabel(MODEL_LABELS[m].replace(" (", "\n("), fontsize=7)
    sub.suptitle(LABELS[p.sources[dataset]], fontsize=10)
fig.suptitle("∇ₓ Σ_k log p̂ (red raises, blue lowers the summed log-probabilities; each image on its own scale)",
             fontsize=9)
save_figure(fig, sm.output[0], sm.output[1])
