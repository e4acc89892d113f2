"""Train one model per Iris-Cancer split (all splits stacked) for one condition and measure each.

Conditions (paper Fig. 8): ``plain`` — A = 0; ``annotated`` — full A (Iris columns 0-3 of every
training row) with λ1. Per split: train accuracy, test accuracy with Iris in and with Iris
zeroed, the Iris share of M_c[f_X] on the Iris-in test set, and the mean number of Iris
columns among the top-k |∇ max p̂| of the training rows (reference notebook, IC-confound).
"""

import torch

from rrr.paper.iris_cancer import iris_usage, top_k_iris_count
from rrr import input_gradients
from rrr.data.iris_cancer import iris_mask
from rrr.pipeline.replicates import train_replicates
from rrr.pipeline.jobs import load_npz, start_job, write_csv, write_json
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.training import as_tensor
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
condition = sm.wildcards.condition
d = load_npz(sm.input.data)
n_splits, n_train = d["ytr"].shape
seeds = [sm.params.init_seed + s for s in range(n_splits)]
annotated = condition == "annotated"
l1 = sm.params.l1 if annotated else 0.0
model, history, metrics = train_replicates(
    d["Xtr"],
    d["ytr"],
    iris_mask(n_train) if annotated else None,
    seeds=seeds,
    l1=l1,
    train=sm.params.train,
    evaluate={"test": (d["Xte"], d["yte"]), "test_iris_out": (d["Xte_out"], d["yte"])},
    callback=progress, device=device,
)
# Explanations in float64, as the authors measured them: float32 loses ∂p̂/∂x of confident rows to round-off.
test_grads = input_gradients(model, as_tensor(d["Xte"]), "max_prob", dtype=torch.float64)
train_grads = input_gradients(model, as_tensor(d["Xtr"]), "max_prob", dtype=torch.float64)
metrics |= {
    "condition": condition,
    "iris_usage": iris_usage(test_grads, sm.params.cutoff).tolist(),
    "top_k": sm.params.top_k,
    "iris_top_k": top_k_iris_count(train_grads, sm.params.top_k).tolist(),
}
save_model(model, sm.output.model, seeds=seeds, l1=l1, train=dict(sm.params.train), code=sm.params.code)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
