"""Figure 10 (bottom): find-another-explanation on Decoy MNIST for three λ1."""

import numpy as np

from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.decoy_mnist import fae_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
n_l1, n_seeds = len(p.l1), len(p.seeds)
theta0 = read_json(sm.input.theta0)
accuracies = {}
for key in ("train", "test"):
    first = np.asarray(theta0[f"{key}_accuracy"])[p.theta0_index]
    later = [np.asarray(read_json(f)[f"{key}_accuracy"]) for f in sm.input.rounds]
    accuracies[key] = np.stack([np.tile(first, n_l1)] + later).reshape(-1, n_l1, n_seeds)
fig = fae_figure(dict(load_npz(sm.input.gradients)), accuracies, read_json(sm.input.baseline)["test_accuracy"])
save_figure(fig, sm.output[0], sm.output[1])
