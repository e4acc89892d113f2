"""Decision regions and input gradients of the seed-0 2D model on regular grids (Figure 1).

Saves, over a ``quiver_points``² grid, ∇p̂_k and ∇log p̂_k for every class k and ∇Σ_k log p̂_k,
the predicted class over a finer ``region_points``² grid, and a subsample of the training data.
"""


import numpy as np
import torch

from rrr import input_gradients, load_model, predict_proba, unstack
from rrr.pipeline.jobs import load_npz, start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
p = sm.params
d = load_npz(sm.input.data)
X, y = d["X"], d["y"]
model = unstack(load_model(sm.input.model), 0)
n_classes = int(y.max()) + 1
lo, hi = np.floor(X.min(axis=0)), np.ceil(X.max(axis=0))


def grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    axes = [np.linspace(lo[i], hi[i], n) for i in range(2)]
    xx, yy = np.meshgrid(*axes)
    return axes, np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)


region_axes, region_x = grid(p.region_points)
quiver_axes, quiver_x = grid(p.quiver_points)
q = torch.as_tensor(quiver_x)
keep = np.random.default_rng(0).permutation(len(X))[: p.scatter_points]
write_npz(
    sm.output[0],
    code=sm.params.code,
    region_x=region_axes[0],
    region_y=region_axes[1],
    regions=predict_proba(model, region_x).argmax(dim=-1).numpy().reshape(p.region_points, p.region_points),
    points=quiver_x,
    prob=np.stack([input_gradients(model, q, "prob", target=k).numpy() for k in range(n_classes)]),
    log_prob=np.stack([input_gradients(model, q, "log_prob", target=k).numpy() for k in range(n_classes)]),
    sum_log_prob=input_gradients(model, q, "sum_log_prob").numpy(),
    data_x=X[keep],
    data_y=y[keep],
)
