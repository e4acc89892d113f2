"""Figure 19: per defense, the distributions of ‖∇_x CE(y)‖ (FGSM), ‖∇_x CE(y+1)‖ (TGSM) and of all
predicted log-probabilities on MNIST test images (log scales; norms floored at 1e-20)."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.plots import save_figure, use_style
from rrr.plots.adversarial import MODEL_COLORS, MODEL_LABELS
from rrr.pipeline.jobs import load_npz, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
s = load_npz(sm.input.statistics[0])
labels = [MODEL_LABELS[m].replace(" (", "\n(") for m in p.models]
fig = plt.figure(figsize=(10, 6.4), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1, 0.9])
for ax, key, title in zip(top.subplots(1, 2), ("fgsm", "tgsm"), ("FGSM: ‖∇ₓ H(y, ŷ)‖₂", "TGSM: ‖∇ₓ H(y+1, ŷ)‖₂")):
    data = [np.maximum(s[f"{m}_{key}_norm"], p.floor) for m in p.models]
    parts = ax.boxplot(data, tick_labels=labels, patch_artist=True, showfliers=True, flierprops={"ms": 2})
    for patch, m in zip(parts["boxes"], p.models):
        patch.set_facecolor(MODEL_COLORS[m])
        patch.set_alpha(0.6)
    ax.set_yscale("log")
    ax.set_title(title)
    ax.tick_params(axis="x", labelsize=7)
ax_main, ax_distilled = bottom.subplots(1, 2, width_ratios=[1.4, 1])
for m in p.models:
    target = ax_distilled if m == "distilled" else ax_main
    bins = np.linspace(-800, 0, 81) if m == "distilled" else np.linspace(-50, 0, 51)
    target.hist(np.clip(s[f"{m}_log_probs"].ravel(), bins[0], 0), bins=bins, histtype="step", lw=1.4,
                color=MODEL_COLORS[m], label=MODEL_LABELS[m])
for ax, title in ((ax_main, "predicted log-probabilities (all classes)"), (ax_distilled, "distilled model (T=1)")):
    ax.set_yscale("log")
    ax.set_xlabel("log p̂ (clipped at the left edge)")
    ax.set_ylabel("count")
    ax.set_title(title)
    ax.legend(fontsize=7)
fig.suptitle(f"MNIST, first {len(s['normal_fgsm_norm'])} test images", fontsize=10)
save_figure(fig, sm.output[0], sm.output[1])
