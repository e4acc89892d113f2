"""Cache f_X = ∇ max p̂ of every find-another-explanation round on every trial's training rows."""

from pathlib import Path

import numpy as np

from rrr import input_gradients, load_model
from rrr.jobs import log_to, set_threads
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
set_threads(sm.threads)
d = np.load(sm.input.data)
x = as_tensor(d["Xtr"])
gradients = np.stack([input_gradients(load_model(p), x, "max_prob").numpy() for p in sm.input.models])
tmp = Path(sm.output[0]).with_suffix(".tmp.npz")
np.savez_compressed(tmp, gradients=gradients, x=d["Xtr"], y=d["ytr"])  # gradients: (round, trial, row, feature)
tmp.replace(sm.output[0])
