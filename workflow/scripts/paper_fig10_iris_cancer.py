"""Figure 10 (top): find-another-explanation on Iris-Cancer — explanations per iteration, and
train/test accuracy and Iris usage (mean ± sd over trials) against the iteration."""


from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.iris_cancer import fae_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
cached = load_npz(sm.input.gradients)
trial, rows = sm.params.trial, sm.params.rows
gradients = cached["gradients"][:, trial][:, rows]
labels = cached["y"][trial][rows].tolist()
fig = fae_figure(gradients, labels, rows, trial, read_json(sm.input.metrics), sm.params.paper_usage)
save_figure(fig, sm.output[0], sm.output[1])
