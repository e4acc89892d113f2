"""Cache f_X = ∇ max p̂ of every find-another-explanation round on every trial's training rows."""


import numpy as np
import torch

from rrr import input_gradients, load_model
from rrr.pipeline.jobs import load_npz, start_job, write_npz
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
d = load_npz(sm.input.data)
x = as_tensor(d["Xtr"])
gradients = np.stack([input_gradients(load_model(p), x, "max_prob", dtype=torch.float64).numpy() for p in sm.input.models])
# gradients: (round, trial, row, feature)
write_npz(sm.output[0], code=sm.params.code, gradients=gradients, x=d["Xtr"], y=d["ytr"])
