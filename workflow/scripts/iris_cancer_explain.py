"""Figure 7's explanations: input gradients ∂p̂_0/∂x and ∂p̂_1/∂x of one split's A = 0 model on
its training rows, and LIME (continuous perturbation, reference §3 variant b) for the drawn rows."""


import numpy as np
import torch

from rrr.paper.iris_cancer import iris_usage, lime_tabular, lime_weights
from rrr import input_gradients, load_model, predict_proba, unstack
from rrr.pipeline.jobs import load_npz, start_job, write_npz
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
split, rows, settings = sm.params.split, sm.params.rows, sm.params.lime
d = load_npz(sm.input.data)
x, y = d["Xtr"][split], d["ytr"][split]
model = unstack(load_model(sm.input.model), split)
x_t = as_tensor(x)
gradients = np.stack([input_gradients(model, x_t, "prob", target=k, dtype=torch.float64).numpy() for k in (0, 1)])


def predict(rows_: np.ndarray) -> np.ndarray:
    return predict_proba(model, rows_).numpy()


explainer = lime_tabular(x, settings, discretize=False)
lime = np.stack([[lime_weights(explainer, predict, x[r], k, settings) for k in (0, 1)] for r in rows])
write_npz(
    sm.output[0],
    code=sm.params.code,
    x=x,
    y=y,
    rows=np.asarray(rows),
    probabilities=predict(x),
    gradients=gradients,  # (class, row, feature) over all training rows
    lime=lime,  # (drawn row, class, feature)
    iris_usage=iris_usage(input_gradients(model, x_t, "max_prob", dtype=torch.float64), sm.params.cutoff),
)
