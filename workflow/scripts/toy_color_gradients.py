"""Cache f_X = ∇ max p̂ of every seed of one Toy-Color condition on the first test images."""

from pathlib import Path

import numpy as np

from rrr import input_gradients, load_model, predict_proba
from rrr.experiments import set_threads
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
set_threads(sm.threads)
d = np.load(sm.input.data)
images = d["Xt"][: sm.params.n_rows]
model = load_model(sm.input.model)
x = as_tensor(images)
grads = input_gradients(model, x.expand(model.n_models, *x.shape), "max_prob")
tmp = Path(sm.output[0]).with_suffix(".tmp.npz")
np.savez_compressed(
    tmp, images=images, labels=d["yt"][: sm.params.n_rows], gradients=grads.numpy(),
    probabilities=predict_proba(model, x).numpy(),
)
tmp.replace(sm.output[0])
