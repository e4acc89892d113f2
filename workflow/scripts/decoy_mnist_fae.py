"""One find-another-explanation round on Decoy MNIST: its training jobs merged into one stack, every (λ1, seed).

Stack layout: model index = λ1 index · n_seeds + seed index (see decoy_mnist_fae_train.py).
"""

import pandas as pd

from rrr import load_model, save_model
from rrr.pipeline.replicates import merge_replicates
from rrr.pipeline.jobs import read_json, start_job, write_csv, write_json
from rrr.paper.decoy_mnist import l1_label

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
p = sm.params
model, history, metrics = merge_replicates(
    [load_model(f) for f in sm.input.models],
    [pd.read_csv(f) for f in sm.input.histories],
    [read_json(f) for f in sm.input.metrics],
)
n_seeds = len(p.seeds)
metrics["fae_seeds"] = list(p.seeds)
for i, lam in enumerate(p.l1):
    chain = slice(i * n_seeds, (i + 1) * n_seeds)
    for key in ("train_accuracy", "test_accuracy"):
        metrics[f"{key}_{l1_label(lam)}"] = metrics[key][chain]
save_model(
    model,
    sm.output.model,
    seeds=metrics["seeds"],
    l1=metrics["l1"],
    train=dict(p.train),
    fae_seeds=list(p.seeds),
    code=sm.params.code,
)
write_csv(history, sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
