"""One find-another-explanation round on Decoy MNIST for every (λ1, seed) chain at once (Sec. 2.2).

θ0 is Figure 9's A = 0 model of each seed, shared by the λ1 chains. Round r trains a fresh
stack, model (λ1, seed) with A = ∪_{j<r} M_0.67[f_X|θ_j] of its own chain on the training set.
Stack layout: model index = λ1 index · n_seeds + seed index.
"""

import numpy as np
import torch

from rrr.paper.decoy_mnist import l1_label
from rrr import explanation_mask, load_model, save_model, stack, unstack
from rrr.experiments import train_replicates
from rrr.jobs import start_job, write_csv, write_json
from rrr.training import as_tensor

sm = start_job(snakemake)  # noqa: F821 (injected by Snakemake)
p = sm.params
d = np.load(sm.input.data)
x, y = as_tensor(d["X"]), d["y"]
n_l1, n_seeds = len(p.l1), len(p.seeds)

theta0 = load_model(sm.input.theta0)
theta0 = stack([unstack(theta0, i) for i in p.theta0_index])
mask = explanation_mask(theta0, x, p.cutoff, chunk=2048).repeat(n_l1, 1, 1)
for path in sm.input.previous:
    mask |= explanation_mask(load_model(path), x, p.cutoff, chunk=2048)

r = int(sm.wildcards.round)
l1 = [float(v) for v in p.l1 for _ in p.seeds]
init_seeds = [1000 * r + s for _ in p.l1 for s in p.seeds]
model, history, metrics = train_replicates(
    x, y, mask, seeds=init_seeds, l1=l1, train=p.train, evaluate={"test": (d["Xt"], d["yt"])}
)
masked = torch.count_nonzero(mask, dim=(1, 2))
on_swatch = torch.count_nonzero(mask & torch.as_tensor(d["E"]), dim=(1, 2))
metrics.update(
    round=r,
    fae_seeds=list(p.seeds),
    masked_per_image=(masked / len(x)).tolist(),
    masked_on_swatch=(on_swatch / masked.clamp(min=1)).tolist(),
)
for i, lam in enumerate(p.l1):
    chain = slice(i * n_seeds, (i + 1) * n_seeds)
    for key in ("train_accuracy", "test_accuracy"):
        metrics[f"{key}_{l1_label(lam)}"] = metrics[key][chain]
save_model(model, sm.output.model, seeds=init_seeds, l1=l1, train=dict(p.train), fae_seeds=list(p.seeds),
           code=sm.params.code)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
