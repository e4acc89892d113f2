"""Thesis Figure 24: gradient vs Hessian regularization of a 10-unit MLP on 2D, and the estimator check."""

import pandas as pd

from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.thesis_extras import hessian_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
metrics = {"gradient": read_json(sm.input.gradient), "hessian": read_json(sm.input.hessian)}
fig = hessian_figure(load_npz(sm.input.surfaces), metrics, pd.read_csv(sm.input.estimator_csv), sm.params.shown)
save_figure(fig, sm.output[0], sm.output[1])
