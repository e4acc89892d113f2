"""Thesis Figure 24: gradient vs Hessian regularization of a 10-unit MLP on 2D, and the estimator check."""

import numpy as np
import pandas as pd

from rrr.jobs import log_to, read_json
from rrr.plots import save_figure, use_style
from rrr.plots.thesis_extras import figure24

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
use_style()
metrics = {"gradient": read_json(sm.input.gradient), "hessian": read_json(sm.input.hessian)}
fig = figure24(np.load(sm.input.surfaces), metrics, pd.read_csv(sm.input.estimator_csv), sm.params.shown)
save_figure(fig, sm.output[0], sm.output[1])
