"""Figure 12 at one training size l (reference bin/check_color_data_requirements.py): the first l
training rows, epochs = int(epoch_budget / l), batch = min(256, l), λ1 = 1e4 with the reference's
normalize=True (reduction "mean"); the five conditions × seeds train together as one stack."""

import time

import numpy as np

from rrr import fit, mlp_stack
from rrr.pipeline.jobs import load_npz, start_job, write_json
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.paper.toy_color import rule_scores, stacked_masks
from rrr.training import accuracy
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
p = sm.params
size = int(sm.wildcards.size)
d = load_npz(sm.input.data)
X, y = d["X"][:size], d["y"][:size]
conditions, seeds = list(p.conditions), list(p.seeds)
train = {**p.train, "epochs": max(1, int(p.epoch_budget / size)), "batch_size": min(p.max_batch_size, size)}
model = mlp_stack(X.shape[-1], 2, [s for _ in conditions for s in seeds])
mask = stacked_masks(conditions, len(seeds), size)
start = time.perf_counter()
model, _ = fit(model.to(device), X, y, mask, l1=p.l1, reduction="mean", seed=seeds[0], callback=progress, **train)
model = model.cpu()  # back on the CPU: gradients and files as before
seconds = time.perf_counter() - start
test = np.asarray(accuracy(model, d["Xt"], d["yt"])).reshape(len(conditions), len(seeds))
scores = rule_scores(model, d["Xt"][: p.score_rows], p.cutoff)
metrics = {"size": size, "seeds": seeds, "l1": p.l1, "train": train, "train_seconds": seconds}
for c, name in enumerate(conditions):
    picked = slice(c * len(seeds), (c + 1) * len(seeds))
    metrics[f"{name}_test_accuracy"] = test[c].tolist()
    metrics[f"{name}_rule1_score"] = scores["rule1_score"][picked]
    metrics[f"{name}_rule2_score"] = scores["rule2_score"][picked]
save_model(model, sm.output.model, conditions=conditions, seeds=seeds, l1=p.l1, train=train, code=sm.params.code)
write_json(metrics, sm.output.metrics)
