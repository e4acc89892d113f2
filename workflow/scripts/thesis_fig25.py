"""Thesis Figure 25: a normal MLP vs two models trained with the cos² penalty in a disentangled latent space."""

import numpy as np

from rrr.jobs import log_to, read_json
from rrr.plots import save_figure, use_style
from rrr.plots.thesis_extras import figure25

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
use_style()
d = np.load(sm.input.data)
splits = ("train", "test_size", "test_color")
metrics = {read_json(p)["kind"]: read_json(p) for p in sm.input.metrics}
fig = figure25(
    {s: d[s] for s in splits},
    {s: d[f"{s}_labels"] for s in splits},
    metrics["normal"],
    metrics["diverse"],
    sm.params.thesis_normal,
)
save_figure(fig, sm.output[0], sm.output[1])
