"""Find-another-explanation on Toy Color (Figure 4; reference §2.7): θ0 with A = 0, θ1 with
λ1 = 1e3 and A = M_0.67[f_X|θ0], θ2 with λ1 = 1e6 and A = M(θ0) ∪ M(θ1), masks on the training set.

Every seed runs its own chain; the chains train together as stacks (round i of seed s starts
from seed s + 1000·i, a fresh initialization as in the reference).
"""

import time

import numpy as np

from rrr import find_another_explanation, input_gradients, mlp_stack
from rrr.pipeline.jobs import load_npz, start_job, write_json, write_npz
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.paper.toy_color import rule_scores
from rrr.training import as_tensor
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
p = sm.params
d = load_npz(sm.input.data)
seeds = list(p.seeds)
model_paths = [getattr(sm.output, f"model{i}") for i in range(p.rounds)]  # named one by one: cacheable
x = as_tensor(d["X"])
# The chains' explanation masks need per-model (S, N, D) inputs, so the shared data is given as views.
x_stacked, y_stacked = x.expand(len(seeds), *x.shape), as_tensor(d["y"]).expand(len(seeds), len(x))


def round_seeds(i: int) -> list[int]:
    return [s + 1000 * i for s in seeds]


start = time.perf_counter()
rounds = find_another_explanation(
    lambda i: mlp_stack(x.shape[-1], 2, round_seeds(i)).to(device), x_stacked, y_stacked, rounds=p.rounds,
    l1=p.l1, cutoff=p.cutoff, x_test=d["Xt"], y_test=d["yt"], **p.train,
    callback=progress,
)
for _round in rounds:
    _round.model.cpu()  # back on the CPU: gradients and files as before
metrics: dict = {"seeds": seeds, "rounds": len(rounds), "train_seconds": time.perf_counter() - start}
grid = as_tensor(d["Xt"][: p.grid_rows])
grid_gradients = []
for i, r in enumerate(rounds):
    scores = rule_scores(r.model, d["Xt"][: p.score_rows], p.cutoff)
    metrics.update({
        f"theta{i}_l1": r.l1,
        f"theta{i}_train_accuracy": np.atleast_1d(r.train_accuracy).tolist(),
        f"theta{i}_test_accuracy": np.atleast_1d(r.test_accuracy).tolist(),
        f"theta{i}_rule1_score": scores["rule1_score"],
        f"theta{i}_rule2_score": scores["rule2_score"],
        f"theta{i}_annotated_fraction": r.mask.to(float).mean(dim=(-1, -2)).tolist(),
    })
    grid_gradients.append(input_gradients(r.model, grid.expand(len(seeds), *grid.shape), "max_prob").numpy())
    save_model(r.model, model_paths[i], seeds=round_seeds(i), l1=r.l1, train=dict(p.train), fae_round=i,
               code=sm.params.code)
write_json(metrics, sm.output.metrics)
write_npz(sm.output.gradients, code=sm.params.code, images=d["Xt"][: p.grid_rows], gradients=np.stack(grid_gradients))
