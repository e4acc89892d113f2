"""Figure 11: cross-validating λ1 on Decoy MNIST, with the loss-balance region shaded."""

import numpy as np

from rrr.pipeline.jobs import read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.decoy_mnist import crossval_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
m = read_json(sm.input[0])
n_seeds = len(m["seeds"]) // len(m["l1_exponents"])
shown = np.asarray(m["l1_exponents"]) <= p.max_plotted_exponent


def table(key: str) -> np.ndarray:
    return np.asarray(m[key]).reshape(-1, n_seeds)[shown]


l1 = 10.0 ** np.asarray(m["l1_exponents"], dtype=float)[shown]
accuracies = {name: table(f"{key}_accuracy") for name, key in
              (("train", "train"), ("validation", "validation"), ("test", "test"))}
paper_test = {10.0**e: v for e, v in zip(p.reference_exponents, p.reference_test) if e <= p.max_plotted_exponent}
fig = crossval_figure(l1, accuracies, table("initial_ratio"), paper_test, band=p.balance_band)
save_figure(fig, sm.output[0], sm.output[1])
