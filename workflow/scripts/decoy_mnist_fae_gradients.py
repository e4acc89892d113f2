"""Cache f_X = ∇ max p̂ of every find-another-explanation round on a few test images.

Output arrays are indexed [round, λ1, seed, row]; round 0 (θ0, shared) is repeated per λ1.
"""


import numpy as np

from rrr import input_gradients, load_model, predict_proba, stack, unstack
from rrr.pipeline.jobs import load_npz, start_job, write_npz
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
p = sm.params
d = load_npz(sm.input.data)
images = d["Xt"][p.rows]
x = as_tensor(images)
n_l1, n_seeds = len(p.l1), len(p.seeds)

theta0 = load_model(sm.input.theta0)
models = [stack([unstack(theta0, i) for i in p.theta0_index])] + [load_model(f) for f in sm.input.rounds]
gradients, probabilities = [], []
for r, model in enumerate(models):
    g = input_gradients(model, x.expand(model.n_models, *x.shape), "max_prob").numpy()
    pr = predict_proba(model, x).numpy()
    if r == 0:
        g, pr = np.tile(g, (n_l1, 1, 1)), np.tile(pr, (n_l1, 1, 1))
    gradients.append(g.reshape(n_l1, n_seeds, *g.shape[1:]))
    probabilities.append(pr.reshape(n_l1, n_seeds, *pr.shape[1:]))
write_npz(
    sm.output[0],
    code=sm.params.code,
    images=images,
    labels=d["yt"][p.rows],
    l1=np.asarray(p.l1, dtype=float),
    gradients=np.stack(gradients),
    probabilities=np.stack(probabilities),
)
