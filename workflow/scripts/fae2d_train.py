"""Thesis App. C (Fig. 13): sequential vs simultaneous find-another-explanation on the quadrant problem.

Sequential: the paper's MLP and training, then a second model penalized where the first
one's ∇ max p̂ was largest (rrr.find_another_explanation), every restart at once (stacked).
Joint: pairs of softplus networks trained together with the cos² penalty
(rrr.train_diverse_models, the local-independence defaults). Writes the models, per-restart
metrics and the log-odds of every model on a grid for the figure.
"""

import time

import numpy as np
import torch

import rrr
from rrr.extras.diverse import (
    boundary_angle,
    feature_balance,
    gradient_cosines,
    model_gradients,
    quadrant_grid,
    train_diverse_models,
)
from rrr.pipeline.jobs import save_torch, start_job, write_json, write_npz
from rrr.progress import log_progress
from rrr.models import smooth_mlp
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
cfg = sm.params.cfg
seeds = cfg["seeds"]
X, y = quadrant_grid(cfg["grid"], cfg["extent"], cfg["data_seed"])
ticks = np.linspace(-1.1 * cfg["extent"], 1.1 * cfg["extent"], sm.params.surface_points)
grid = torch.tensor(np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2), dtype=torch.float32)


@torch.no_grad()
def log_odds(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    lp = torch.log_softmax(model(x), dim=-1)
    return (lp[..., 1] - lp[..., 0]).numpy().reshape(len(ticks), len(ticks))


def pair_metrics(a: torch.nn.Module, b: torch.nn.Module) -> dict:
    ga, gb = (model_gradients(m, torch.tensor(X)).numpy() for m in (a, b))
    angles = sorted([float(np.median(boundary_angle(ga))), float(np.median(boundary_angle(gb)))])
    return {
        "abs_cos": float(np.abs(gradient_cosines([a, b], X)).mean()),
        "angle_low": angles[0],
        "angle_high": angles[1],
        "angle_gap": angles[1] - angles[0],
        "train_accuracy_min": float(min(rrr.accuracy(a, X, y), rrr.accuracy(b, X, y))),
        # The larger of the two models' median feature balances: ≈ 0 when both boundaries are axis-aligned.
        "feature_balance_max": float(max(np.median(feature_balance(ga)), np.median(feature_balance(gb)))),
    }


# Sequential find-another-explanation, all restarts stacked.
fae = cfg["fae"]
S = len(seeds)
start = time.perf_counter()
rounds = rrr.find_another_explanation(
    lambda i: rrr.mlp_stack(2, 2, [s + 1000 * i for s in seeds]).to(device),
    torch.tensor(X).expand(S, -1, -1),
    torch.tensor(y).expand(S, -1),
    rounds=2,
    l1=fae["l1"],
    cutoff=fae["cutoff"],
    **fae["train"],
    callback=progress,
)
for _round in rounds:
    _round.model.cpu()  # back on the CPU: gradients and files as before
seq_seconds = time.perf_counter() - start
mask = rounds[1].mask  # A for the second model: M_c of the first
sequential = {"seeds": seeds, "train_seconds": seq_seconds, "l1": fae["l1"], "cutoff": fae["cutoff"]}
per_seed = []
for s in range(S):
    first, second = rrr.unstack(rounds[0].model, s), rrr.unstack(rounds[1].model, s)
    row = pair_metrics(first, second)
    row["mask_fraction"] = float(mask[s].float().mean())
    row["both_features_fraction"] = float(mask[s].all(dim=-1).float().mean())
    g_first = model_gradients(first, torch.tensor(X)).numpy()
    row["first_angle"] = float(np.median(boundary_angle(g_first)))
    row["first_feature_balance"] = float(np.median(feature_balance(g_first)))
    row["first_train_accuracy"] = float(rrr.accuracy(first, X, y))
    row["second_train_accuracy"] = float(rrr.accuracy(second, X, y))
    per_seed.append((row, [log_odds(first, grid), log_odds(second, grid)]))
sequential.update({k: [r[k] for r, _ in per_seed] for k in per_seed[0][0]})
rrr.save_model(rounds[0].model, sm.output.first_model, seeds=seeds, l1=0.0, code=sm.params.code)
rrr.save_model(rounds[1].model, sm.output.second_model, seeds=seeds, l1=fae["l1"], cutoff=fae["cutoff"],
               code=sm.params.code)

# Simultaneous training of pairs with the cos² penalty, one pair per restart.
div = cfg["diverse"]
joint = {"seeds": seeds, "lambda_overlap": div["lambda_overlap"]}
rows, joint_surfaces, states = [], [], []
start = time.perf_counter()
for s in seeds:
    pair = [smooth_mlp(2, 2, div["hidden"], seed=1000 * s + i).to(device) for i in range(2)]
    pair, history = train_diverse_models(
        pair,
        X,
        y,
        lambda_overlap=div["lambda_overlap"],
        epochs=div["epochs"],
        batch_size=div["batch_size"],
        lr=div["lr"],
        seed=s,
        callback=progress,
    )
    pair = [m.cpu() for m in pair]  # back on the CPU: gradients and files as before
    row = pair_metrics(*pair)
    row["overlap_first_epoch"], row["overlap_last_epoch"] = history.overlap[0], history.overlap[-1]
    rows.append(row)
    joint_surfaces.append([log_odds(m, grid) for m in pair])
    states.append([m.state_dict() for m in pair])
joint["train_seconds"] = time.perf_counter() - start
joint.update({k: [r[k] for r in rows] for k in rows[0]})
save_torch({"hidden": div["hidden"], "seeds": seeds, "state_dicts": states}, sm.output.joint_model, code=sm.params.code)

write_json(sequential, sm.output.sequential)
write_json(joint, sm.output.joint)
write_npz(
    sm.output.surfaces,
    code=sm.params.code,
    X=X,
    y=y,
    ticks=ticks,
    sequential=np.array([s for _, s in per_seed]),
    joint=np.array(joint_surfaces),
    sequential_mask=mask.numpy(),
)
