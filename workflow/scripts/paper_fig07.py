"""Figure 7: Iris-Cancer — input gradients vs. LIME weights over the 34 dimensions, Iris shaded."""


from rrr.plots import save_figure, use_style
from rrr.plots.iris_cancer import lime_vs_gradient_figure
from rrr.pipeline.jobs import load_npz, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
e = load_npz(sm.input[0])
fig = lime_vs_gradient_figure(
    e["y"],
    e["rows"].tolist(),
    e["probabilities"],
    e["gradients"],
    e["lime"],
    float(e["iris_usage"]),
    sm.params.reference_usage,
)
save_figure(fig, sm.output[0], sm.output[1])
