"""Figure 10 (top): find-another-explanation on Iris-Cancer — explanations per iteration, and
train/test accuracy and Iris usage (mean ± sd over trials) against the iteration."""

import numpy as np

from rrr.jobs import log_to, read_json
from rrr.plots import save_figure, use_style
from rrr.plots.iris_cancer import figure10

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
use_style()
cached = np.load(sm.input.gradients)
trial, rows = sm.params.trial, sm.params.rows
gradients = cached["gradients"][:, trial][:, rows]
labels = cached["y"][trial][rows].tolist()
fig = figure10(gradients, labels, rows, trial, read_json(sm.input.metrics), sm.params.paper_usage)
save_figure(fig, sm.output[0], sm.output[1])
