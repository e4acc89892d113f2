"""Thesis Figure 25: a normal MLP vs two models trained with the cos² penalty in a disentangled latent space."""


from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.thesis_extras import squares_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
d = load_npz(sm.input.data)
splits = ("train", "test_size", "test_color")
metrics = {read_json(p)["kind"]: read_json(p) for p in sm.input.metrics}
fig = squares_figure(
    {s: d[s] for s in splits},
    {s: d[f"{s}_labels"] for s in splits},
    metrics["normal"],
    metrics["diverse"],
    sm.params.thesis_normal,
)
save_figure(fig, sm.output[0], sm.output[1])
