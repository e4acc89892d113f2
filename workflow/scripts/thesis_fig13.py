"""Thesis Figure 13: sequential find-another-explanation vs two models trained jointly with the cos² penalty."""

import numpy as np

from rrr.jobs import log_to, read_json
from rrr.plots import save_figure, use_style
from rrr.plots.thesis_extras import figure13

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
use_style()
fig = figure13(np.load(sm.input.surfaces), read_json(sm.input.sequential), read_json(sm.input.joint))
save_figure(fig, sm.output[0], sm.output[1])
