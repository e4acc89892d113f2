"""One find-another-explanation round on Decoy MNIST for one job's (λ1, seed) chains, as a stack (Sec. 2.2).

θ0 is Figure 9's A = 0 model of each seed, shared by the λ1 chains. Round r trains fresh models, model (λ1, seed)
with A = ∪_{j<r} M_0.67[f_X|θ_j] of its own chain on the training set; the earlier rounds come from the same job, so
each job is a chain of its own (config ``models_per_job``). Model index in the sweep = λ1 index · n_seeds + seed
index; ``decoy_mnist_fae`` merges a round's jobs.
"""

import torch

from rrr import explanation_mask, load_model, save_model, stack, unstack
from rrr.pipeline.replicates import train_replicates
from rrr.pipeline.jobs import load_npz, start_job, write_csv, write_json
from rrr.progress import log_progress
from rrr.training import as_tensor
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
p = sm.params
d = load_npz(sm.input.data)
x, y = as_tensor(d["X"]), d["y"]
n_seeds = len(p.seeds)

theta0 = load_model(sm.input.theta0)
mask = explanation_mask(
    stack([unstack(theta0, p.theta0_index[i % n_seeds]) for i in p.models]), x, p.cutoff, chunk=2048
)
for path in sm.input.previous:
    mask |= explanation_mask(load_model(path), x, p.cutoff, chunk=2048)

r = int(sm.wildcards.round)
l1 = [float(p.l1[i // n_seeds]) for i in p.models]
init_seeds = [1000 * r + p.seeds[i % n_seeds] for i in p.models]
model, history, metrics = train_replicates(
    x,
    y,
    mask,
    seeds=init_seeds,
    l1=l1,
    train=p.train,
    evaluate={"test": (d["Xt"], d["yt"])},
    shuffle_seed=1000 * r + p.seeds[0],
    callback=progress, device=device,
)
masked = torch.count_nonzero(mask, dim=(1, 2))
on_swatch = torch.count_nonzero(mask & torch.as_tensor(d["E"]), dim=(1, 2))
metrics.update(
    round=r,
    masked_per_image=(masked / len(x)).tolist(),
    masked_on_swatch=(on_swatch / masked.clamp(min=1)).tolist(),
)
save_model(
    model, sm.output.model, seeds=init_seeds, l1=l1, train=dict(p.train), fae_seeds=list(p.seeds), code=sm.params.code
)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
