"""Find-another-explanation on Iris-Cancer (paper Fig. 10, top): every trial has its own split,
and all trials of a round train at once as one stacked model. θ0 has A = 0; θ_i is penalized
with λ1 on the union of its predecessors' M_c[f_X] on the training rows.

Per round and trial: train accuracy, test accuracy with Iris zeroed (the reference's "test")
and with Iris in, and the Iris share of M_c[f_X] on the training rows (reference "Iris usage")."""

import numpy as np
import torch

from rrr.paper.iris_cancer import iris_usage
from rrr import accuracy, find_another_explanation, input_gradients, mlp_stack
from rrr.pipeline.jobs import load_npz, start_job, write_json
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.training import as_tensor
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
fae, train = sm.params.fae, sm.params.train
d = load_npz(sm.input.data)
x = as_tensor(d["Xtr"])
n_trials, rounds = x.shape[0], fae["rounds"]
model_paths = [getattr(sm.output, f"model{i}") for i in range(rounds)]  # named one by one: cacheable


def seeds(i: int) -> list[int]:
    return [fae["init_seed"] + i * n_trials + t for t in range(n_trials)]


results = find_another_explanation(
    lambda i: mlp_stack(x.shape[-1], 2, seeds(i)).to(device),
    x,
    d["ytr"],
    rounds=rounds,
    l1=fae["l1"],
    cutoff=sm.params.cutoff,
    x_test=d["Xte_out"],
    y_test=d["yte"],
    **train,
    callback=progress,
)
for _round in results:
    _round.model.cpu()  # back on the CPU: gradients and files as before
metrics = {"n_trials": n_trials, "rounds": rounds, "l1": fae["l1"]}
for i, r in enumerate(results):
    metrics[f"train_accuracy_round{i}"] = np.asarray(r.train_accuracy).tolist()
    metrics[f"test_accuracy_round{i}"] = np.asarray(r.test_accuracy).tolist()
    metrics[f"test_iris_in_accuracy_round{i}"] = np.asarray(accuracy(r.model, d["Xte"], d["yte"])).tolist()
    metrics[f"iris_usage_round{i}"] = iris_usage(input_gradients(r.model, x, "max_prob", dtype=torch.float64), sm.params.cutoff).tolist()
    metrics[f"annotated_fraction_round{i}"] = r.mask.float().mean(dim=(-1, -2)).tolist()
    save_model(r.model, model_paths[i], seeds=seeds(i), l1=r.l1, round=i, train=dict(train), code=sm.params.code)
write_json(metrics, sm.output.metrics)
