"""Figure 8: Iris-Cancer over random splits — Iris explanation share and test accuracy with Iris
in and out, A = 0 vs full A."""


from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.iris_cancer import iris_usage_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
metrics = {c: read_json(p) for c, p in zip(sm.params.conditions, sm.input.metrics)}
n_test = load_npz(sm.input.data)["yte"].shape[1]
fig = iris_usage_figure(metrics, n_test, sm.params.paper)
save_figure(fig, sm.output[0], sm.output[1])
