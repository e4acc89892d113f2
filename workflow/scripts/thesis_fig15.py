"""Figure 15: "both defenses" (double backprop + adversarial training) on the second dataset, FGSM and
TGSM, beside the normal, adversarially trained and double-backprop models."""

import matplotlib.pyplot as plt

from rrr.data.adversarial import LABELS
from rrr.pipeline.jobs import read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.adversarial import MODEL_LABELS, model_legend, transfer_panel

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
metrics = read_json(sm.input.metrics[0])
fig, axes = plt.subplots(2, len(p.models), figsize=(2.3 * len(p.models), 4.9), sharex=True, sharey=True,
                         layout="constrained")
for r, attack in enumerate(("fgsm", "tgsm")):
    for c, source in enumerate(p.models):
        ax = axes[r, c]
        transfer_panel(ax, metrics, attack, source, p.models, p.epsilons)
        if r == 0:
            ax.set_title(f"{MODEL_LABELS[source]}\nexamples", fontsize=9)
        if c == 0:
            ax.set_ylabel(f"{attack.upper()}{' (y+1)' if attack == 'tgsm' else ''}\naccuracy")
        if r == 1:
            ax.set_xlabel("ε")
n_seeds = len(metrics["seeds"])
seeds = f"{n_seeds} seed{'s' * (n_seeds > 1)}"
fig.suptitle(f"{LABELS[p.source]} ({metrics['batches_normal']} batches, {seeds})", fontsize=10)
model_legend(fig, p.models, fontsize=8)
save_figure(fig, sm.output[0], sm.output[1])
