"""Figure 3's rule transitions (reference bin/describe_color_transitions.py), one stacked training each.

sweep "l1": every λ1 of the grid with A = corners on all rows.
sweep "count": λ1 = count_l1 with A = corners on the first n rows, every n of the grid (per-model masks).
sweep "always_include": one n, its annotated rows appended to every minibatch (fit's always_include).
Rule scores (corner / top-middle share of M_0.67) on Xt[:score_rows]; accuracy on all of Xt.
"""

import time

import numpy as np
import torch

from rrr import fit, mlp_stack
from rrr.data import corner_mask
from rrr.pipeline.jobs import load_npz, start_job, write_json
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.paper.toy_color import first_rows_masks, log_grid, rule_scores
from rrr.training import accuracy
from rrr.validation import resolve_device

HYBRID_SHARE = 0.2  # a model is a hybrid of both rules when each holds at least 20% of its M_0.67 pixels
sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
p = sm.params
d = load_npz(sm.input.data)
X, y = d["X"], d["y"]
seeds = list(p.seeds)
always_include = None
if p.sweep == "l1":
    values = log_grid(**p.grid).tolist()
    l1 = [v for v in values for _ in seeds]
    mask = torch.as_tensor(corner_mask()).expand(*X.shape)
else:
    if p.sweep == "count":
        values = [int(n) for n in log_grid(**p.grid, integer=True) if n <= len(X)]
    else:
        values = [int(sm.wildcards.n)]
        always_include = np.arange(values[0])
    l1 = [float(p.l1)] * (len(values) * len(seeds))
    mask = first_rows_masks([n for n in values for _ in seeds], len(X), corner_mask())
    if len(values) == 1:
        mask = mask[0]  # one shared mask for the seeds of a single count
# A fresh starting point per grid value, as the reference trained a new model per λ1 (or count): seed s + 1000·i
# for the i-th value. One starting point for the whole grid traced a single switch point, a narrower and monotone
# hybrid band than the reference's (0.087 vs 0.147 of the grid, 3 sweeps each; docs/status-notes.md).
model = mlp_stack(X.shape[-1], 2, [s + 1000 * i for i in range(len(values)) for s in seeds])
start = time.perf_counter()
model, history = fit(
    model.to(device), X, y, mask, l1=l1, always_include=always_include, seed=seeds[0], callback=progress, **p.train
)
model = model.cpu()  # back on the CPU: gradients and files as before
seconds = time.perf_counter() - start
scores = rule_scores(model, d["Xt"][: p.score_rows], p.cutoff)
metrics = {
    "sweep": p.sweep,
    "values": values,
    "seeds": seeds,
    "l1": l1,
    "train_seconds": seconds,
    "train_accuracy": np.atleast_1d(accuracy(model, X, y)).tolist(),
    "test_accuracy": np.atleast_1d(accuracy(model, d["Xt"], d["yt"])).tolist(),
    **scores,
}
corners, top_middle = np.asarray(scores["rule1_score"]), np.asarray(scores["rule2_score"])
metrics["relevant_share"] = (corners + top_middle).tolist()  # Fig. 3 caption: "almost always add to 1"
metrics["hybrid"] = (np.minimum(corners, top_middle) >= HYBRID_SHARE).astype(float).tolist()
# Per-value lists over seeds, e.g. "rule2_score@51", for claims about one point of the sweep.
for key in ("test_accuracy", "rule1_score", "rule2_score"):
    per_value = np.asarray(metrics[key]).reshape(len(values), len(seeds))
    for value, row in zip(values, per_value):
        metrics[f"{key}@{value:g}"] = row.tolist()
save_model(model, sm.output.model, seeds=seeds, values=values, l1=l1, train=dict(p.train), code=sm.params.code)
write_json(metrics, sm.output.metrics)
