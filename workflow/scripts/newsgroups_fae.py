"""Find-another-explanation on 20 Newsgroups (reference §2.7): θ0 with A = 0, then each θ_i with λ1
and A = the union of M_0.67[∇ max p̂ | θ_j] over j < i on the training set; every seed at once.

The rounds' models are saved as one stack, round-major: member r·S + s is round r, seed s.
"""

import time

import numpy as np
import pandas as pd

from rrr import find_another_explanation, mlp_stack, save_model, stack, unstack
from rrr.pipeline.jobs import load_npz, start_job, write_csv, write_json
from rrr.progress import log_progress
from rrr.training import as_tensor
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
d = load_npz(sm.input.data)
seeds, rounds, n_early = list(sm.params.seeds), sm.params.rounds, sm.params.early_rounds
x, y = as_tensor(d["X"]), as_tensor(d["y"])
n_classes = int(y.max()) + 1


def make_model(i: int):
    """Round i starts from fresh random weights: seeds s + 1000·i."""
    return mlp_stack(x.shape[-1], n_classes, [s + 1000 * i for s in seeds]).to(device)


start = time.perf_counter()
results = find_another_explanation(
    make_model,
    x.expand(len(seeds), *x.shape),
    y.expand(len(seeds), *y.shape),
    rounds=rounds,
    l1=sm.params.l1,
    cutoff=sm.params.cutoff,
    x_test=d["Xt"],
    y_test=d["yt"],
    **sm.params.train,
    callback=progress,
)
for _round in results:
    _round.model.cpu()  # back on the CPU: gradients and files as before
seconds = time.perf_counter() - start

train = np.array([np.atleast_1d(r.train_accuracy) for r in results])  # (rounds, seeds)
test = np.array([np.atleast_1d(r.test_accuracy) for r in results])
early = slice(1, 1 + n_early)
write_json(
    {
        "seeds": seeds,
        "rounds": rounds,
        "l1": sm.params.l1,
        "cutoff": sm.params.cutoff,
        "train_seconds": seconds,
        "train_accuracy_by_round": train.tolist(),
        "test_accuracy_by_round": test.tolist(),
        "annotated_fraction_by_round": [r.mask.float().mean(dim=(-2, -1)).tolist() for r in results],
        # Per seed: mean accuracy of θ1 … θ{n_early} (the claim "accuracy stays high").
        "train_accuracy_early_rounds": train[early].mean(axis=0).tolist(),
        "test_accuracy_early_rounds": test[early].mean(axis=0).tolist(),
        "early_rounds": list(range(1, min(1 + n_early, rounds))),
    },
    sm.output.metrics,
)
members = [unstack(r.model, s) for r in results for s in range(len(seeds))]
save_model(stack(members), sm.output.model, seeds=seeds, rounds=rounds, order="round-major", l1=sm.params.l1,
           code=sm.params.code)
frames = [r.history.to_frame().assign(round=i) for i, r in enumerate(results)]
write_csv(pd.concat(frames).rename(columns={"model": "seed_index"}), sm.output.history, index=False)
