"""Appendix A: cross-validate λ1 on Decoy MNIST: merge the sweep's training jobs and summarize it.

Model (λ1, seed) starts from the init of ``seed`` for every λ1, so each λ1's first-minibatch ratio
λ1·right-reasons / right-answers is λ1 times one per-seed constant. Stack layout: model index = λ1 index · n_seeds +
seed index. Test accuracy is on the decoy test set.
"""

import numpy as np
import pandas as pd

from rrr import load_model, save_model
from rrr.pipeline.replicates import merge_replicates
from rrr.pipeline.jobs import load_npz, read_json, start_job, write_csv, write_json
from rrr.paper.decoy_mnist import l1_label

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
p = sm.params
model, history, metrics = merge_replicates(
    [load_model(f) for f in sm.input.models],
    [pd.read_csv(f) for f in sm.input.histories],
    [read_json(f) for f in sm.input.metrics],
)
l1_values = [10.0**e for e in p.l1_exponents]
l1, n = metrics["l1"], len(p.seeds)
ratio = np.asarray(l1) * np.asarray(metrics["initial_right_reasons"]) / np.asarray(metrics["initial_right_answers"])
metrics.update(
    n_train=len(load_npz(sm.input.data)["y"]) - p.n_validation,
    n_validation=p.n_validation,
    l1_exponents=list(p.l1_exponents),
    initial_ratio=ratio.tolist(),
    initial_log10_ratio=np.log10(ratio).tolist(),
)
for i, lam in enumerate(l1_values):
    chain = slice(i * n, (i + 1) * n)
    for key in ("train_accuracy", "validation_accuracy", "test_accuracy", "initial_ratio", "initial_log10_ratio"):
        metrics[f"{key}_{l1_label(lam)}"] = metrics[key][chain]
# Per seed: the λ1 a test set (or the confounded validation set) would pick, and its balance.
for split in ("test", "validation"):
    best = np.asarray(metrics[f"{split}_accuracy"]).reshape(-1, n).argmax(axis=0)
    best_ratio = ratio.reshape(-1, n)[best, np.arange(n)]
    metrics[f"best_{split}_l1"] = [l1_values[b] for b in best]
    metrics[f"best_{split}_abs_log10_ratio"] = np.abs(np.log10(best_ratio)).tolist()
save_model(
    model,
    sm.output.model,
    seeds=metrics["seeds"],
    l1=l1,
    train=dict(p.train),
    n_validation=p.n_validation,
    code=sm.params.code,
)
write_csv(history, sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
