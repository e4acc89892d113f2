"""Cache ∇_x p̂(soc.religion.christian) of every model of a stack on the explained test documents.

Positive entries raise the probability of the ``toward`` class; for two classes the
gradient of the predicted class's probability (the paper's f_X) is this one times ±1.
"""


import numpy as np

from rrr import input_gradients, load_model, predict_proba
from rrr.pipeline.jobs import load_npz, read_json, start_job, write_npz
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
rows = list(sm.params.rows)
toward = read_json(sm.input.text)["target_names"].index(sm.params.toward)
x = load_npz(sm.input.data)["Xt"][rows]
model = load_model(sm.input.model)
stacked = as_tensor(x).expand(model.n_models, *x.shape)
write_npz(
    sm.output[0],
    code=sm.params.code,
    rows=np.array(rows),
    inputs=x,
    toward=toward,
    gradients=input_gradients(model, stacked, "prob", target=toward).numpy(),
    probabilities=predict_proba(model, x).numpy(),
)
