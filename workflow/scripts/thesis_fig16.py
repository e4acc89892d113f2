"""Figure 16: Venn diagrams of which MNIST FGSM examples (made from the normal, adversarially trained
and double-backprop models) fool each of those three models, at the reference's ε."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.plots import save_figure, use_style
from rrr.plots.adversarial import MODEL_LABELS, venn3
from rrr.pipeline.jobs import load_npz, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
t = load_npz(sm.input.transfer[0])
names, eps = list(t["models"]), list(np.round(t["epsilons"], 6))
e = eps.index(round(p.eps, 6))
correct = t["fgsm_correct"][0]  # first seed: evaluated, source, eps, example
fig, axes = plt.subplots(1, len(p.models), figsize=(3.2 * len(p.models), 3.6), layout="constrained")
for ax, source in zip(axes, p.models):
    fooled = {m: ~correct[names.index(m), names.index(source), e] for m in p.models}
    venn3(ax, fooled, {m: MODEL_LABELS[m].split(" (")[0] for m in p.models})
    ax.set_title(f"FGSM examples of the\n{MODEL_LABELS[source]} model", fontsize=9)
fig.suptitle(f"MNIST, ε = {p.eps:g}: which of the first {correct.shape[-1]} test images fool each model "
             f"(seed {int(t['seeds'][0])})", fontsize=10)
save_figure(fig, sm.output[0], sm.output[1])
