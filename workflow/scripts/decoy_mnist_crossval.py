"""Appendix A: cross-validate λ1 on Decoy MNIST, every (λ1, seed) in one stacked training.

As in the reference's bin/mnist_cross_validation.py, the first ``n_validation`` training
images are held out for validation and the rest train with the full swatch mask A; test
accuracy is on the decoy test set. Model (λ1, seed) starts from the init of ``seed`` for
every λ1, so each λ1's first-minibatch ratio λ1·right-reasons / right-answers is λ1 times
one per-seed constant. Stack layout: model index = λ1 index · n_seeds + seed index.
"""

import numpy as np

from rrr.paper.decoy_mnist import l1_label
from rrr import save_model
from rrr.experiments import train_replicates
from rrr.jobs import start_job, write_csv, write_json

sm = start_job(snakemake)  # noqa: F821 (injected by Snakemake)
p = sm.params
d = np.load(sm.input.data)
v = p.n_validation
l1_values = [10.0**e for e in p.l1_exponents]
l1 = [lam for lam in l1_values for _ in p.seeds]
seeds = [s for _ in l1_values for s in p.seeds]
model, history, metrics = train_replicates(
    d["X"][v:], d["y"][v:], d["E"][v:], seeds=seeds, l1=l1, train=p.train,
    evaluate={"validation": (d["X"][:v], d["y"][:v]), "test": (d["Xt"], d["yt"])},
)
n = len(p.seeds)
ratio = np.asarray(l1) * np.asarray(metrics["initial_right_reasons"]) / np.asarray(metrics["initial_right_answers"])
metrics.update(
    n_train=len(d["y"]) - v,
    n_validation=v,
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
save_model(model, sm.output.model, seeds=seeds, l1=l1, train=dict(p.train), n_validation=v, code=sm.params.code)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
