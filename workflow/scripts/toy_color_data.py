"""Toy Color (reference §1.1): independent train and test sets from rrr.data.generate_toy_color."""

from pathlib import Path

import numpy as np

from rrr.data import generate_toy_color
from rrr.jobs import log_to

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
X, y = generate_toy_color(sm.params.n_train, seed=sm.params.train_seed)
Xt, yt = generate_toy_color(sm.params.n_test, seed=sm.params.test_seed)
tmp = Path(sm.output[0]).with_suffix(".tmp.npz")
np.savez_compressed(tmp, X=X, y=y, Xt=Xt, yt=yt)
tmp.replace(sm.output[0])
