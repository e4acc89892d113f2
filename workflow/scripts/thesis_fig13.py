"""Thesis Figure 13: sequential find-another-explanation vs two models trained jointly with the cos² penalty."""


from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.thesis_extras import fae2d_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
fig = fae2d_figure(load_npz(sm.input.surfaces), read_json(sm.input.sequential), read_json(sm.input.joint))
save_figure(fig, sm.output[0], sm.output[1])
