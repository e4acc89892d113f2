"""Thesis App. I.2 (Fig. 24): input-gradient vs exact input-Hessian (Frobenius) regularization of a
10-hidden-unit softplus MLP on a 2D problem, and Rifai et al.'s random finite-difference estimator
checked against the exact penalty.

Every (replicate, λ) model of one penalty trains at once as a stack; both penalties start from
the same initializations, so their λ = 0 models coincide.
"""

import copy

import numpy as np
import pandas as pd
import torch

from rrr.pipeline.jobs import save_torch, start_job, write_csv, write_json, write_npz
from rrr.progress import log_progress
from rrr.extras.hessian import (
    evaluate_penalty,
    fit_input_penalty,
    hessian_frobenius_sq,
    hessian_frobenius_sq_estimate,
)
from rrr.data.toy2d import sine_boundary_2d
from rrr.models import concat_stacks, smooth_mlp
from rrr.training import accuracy
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
cfg = sm.params.cfg
seeds, lambdas = cfg["seeds"], cfg["lambdas"]
S, L = len(seeds), len(lambdas)
X, y = sine_boundary_2d(cfg["n_train"], cfg["data_seed"], cfg["extent"])
Xt, yt = sine_boundary_2d(cfg["n_test"], cfg["data_seed"] + 1, cfg["extent"])
# Models are indexed r * L + j: replicate r (its own initializations), λ = lambdas[j].
lam_per_model = [lam for _ in seeds for lam in lambdas]
view_ticks = np.linspace(-cfg["view"], cfg["view"], sm.params.surface_points)
view = torch.tensor(np.stack(np.meshgrid(view_ticks, view_ticks), -1).reshape(-1, 2), dtype=torch.float32)
data_ticks = np.linspace(-cfg["extent"], cfg["extent"], 61)
inside = torch.tensor(np.stack(np.meshgrid(data_ticks, data_ticks), -1).reshape(-1, 2), dtype=torch.float32)


def log_odds_and_gradient(model: torch.nn.Module, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds (S·L, N) and |∇ log-odds| (S·L, N) of every stacked model."""
    x = x.expand(S * L, -1, -1).clone().requires_grad_(True)
    lp = torch.log_softmax(model(x), dim=-1)
    odds = lp[..., 1] - lp[..., 0]
    (g,) = torch.autograd.grad(odds.sum(), x)
    return odds.detach().numpy(), g.norm(dim=-1).numpy()


def initial_stack() -> torch.nn.Module:
    """S·L stacked softplus MLPs; replicate r's L initializations are drawn from seeds[r]."""
    parts = [smooth_mlp(2, 2, (cfg["hidden"],), n_models=L, seed=s) for s in seeds]
    return concat_stacks(parts, into=smooth_mlp(2, 2, (cfg["hidden"],), n_models=S * L))


def per_lambda(name: str, values: np.ndarray) -> dict:
    """(S·L,) -> {"<name>_lam<λ>": [one value per replicate]}."""
    table = np.asarray(values, dtype=float).reshape(S, L)
    return {f"{name}_lam{lam:g}": table[:, j].tolist() for j, lam in enumerate(lambdas)}


results, surfaces, trained = {}, [], {}
for name, penalty in (("gradient", "l2_norm"), ("hessian", "hessian")):
    model = initial_stack().to(device)
    model, history = fit_input_penalty(
        model,
        X,
        y,
        penalty=penalty,
        lam=lam_per_model,
        output="sum_log_prob",
        epochs=cfg["epochs"],
        batch_size=cfg["batch_size"],
        lr=cfg["lr"],
        seed=seeds[0],
        callback=progress,
    )
    model = model.cpu()  # back on the CPU: gradients and files as before
    trained[name] = model
    ce, pen = history.cross_entropy[-1], history.penalty[-1]
    odds_view, _ = log_odds_and_gradient(model, view)
    _, grad_inside = log_odds_and_gradient(model, inside)
    # The penalty an unregularized fit (λ = 0, same replicate) would pay, relative to its cross-entropy:
    # "the regime where the penalty dwarfs the cross-entropy" is λ·Ω(θ₀)/CE(θ₀) ≫ 1.
    unreg = np.repeat(np.arange(S) * L, L)
    omega0 = evaluate_penalty(model, X, y, penalty)[unreg]
    results[name] = {
        "penalty": penalty,
        "lambdas": lambdas,
        "seeds": seeds,
        "train_seconds": history.seconds,
        **per_lambda("test_accuracy", accuracy(model, Xt, yt)),
        **per_lambda("final_cross_entropy", ce),
        **per_lambda("final_penalty", pen),
        **per_lambda("final_penalty_to_ce", np.array(lam_per_model) * pen / ce),
        **per_lambda("penalty_to_ce_at_unregularized", np.array(lam_per_model) * omega0 / ce[unreg]),
        # The same as a share of the objective, λΩ/(λΩ + CE) in [0, 1]: ≥ 0.9 means the penalty is ≥ 9× the CE.
        **per_lambda(
            "penalty_share_at_unregularized",
            np.array(lam_per_model) * omega0 / (np.array(lam_per_model) * omega0 + ce[unreg]),
        ),
        # Flat, evenly spaced level sets have a nearly constant |∇ log-odds| over the data square.
        **per_lambda("logodds_grad_mean", grad_inside.mean(axis=1)),
        **per_lambda("logodds_grad_cv", grad_inside.std(axis=1) / grad_inside.mean(axis=1)),
    }
    surfaces.append(odds_view.reshape(S, L, len(view_ticks), len(view_ticks)))

# Rifai et al.'s estimator vs the exact penalty, on the unregularized (most curved) models, in float64.
est = cfg["estimator"]
rows = []
points = torch.tensor(Xt[: est["n_points"]], dtype=torch.float64)
generator = torch.Generator().manual_seed(cfg["data_seed"])
base = copy.deepcopy(trained["gradient"]).double()
x_all = points.expand(S * L, -1, -1)
exact = hessian_frobenius_sq(base, x_all).detach()
for sigma in est["sigmas"]:
    for k in est["n_samples"]:
        approx = hessian_frobenius_sq_estimate(
            base, x_all, sigma=sigma, n_samples=k, generator=generator, create_graph=False
        ).detach()
        for r, s in enumerate(seeds):
            e, a = exact[r * L], approx[r * L]
            rows.append(
                {
                    "seed": s,
                    "sigma": sigma,
                    "n_samples": k,
                    "mean_exact": e.mean().item(),
                    "mean_estimate": a.mean().item(),
                    "relative_error_of_mean": abs(a.mean().item() / e.mean().item() - 1),
                    "median_pointwise_relative_error": ((a - e).abs() / e).median().item(),
                }
            )
table = pd.DataFrame(rows)
write_csv(table, sm.output.estimator_csv, index=False)
ref = table[(table.sigma == est["claim_sigma"]) & (table.n_samples == max(est["n_samples"]))]
estimator = {
    "seeds": seeds,
    "sigma": est["claim_sigma"],
    "n_samples": max(est["n_samples"]),
    "n_points": est["n_points"],
    "relative_error_of_mean": ref["relative_error_of_mean"].tolist(),
    "median_pointwise_relative_error": ref["median_pointwise_relative_error"].tolist(),
}

write_json(results["gradient"], sm.output.gradient)
write_json(results["hessian"], sm.output.hessian)
write_json(estimator, sm.output.estimator)
for name, path in (("gradient", sm.output.gradient_model), ("hessian", sm.output.hessian_model)):
    save_torch(
        {"hidden": cfg["hidden"], "seeds": seeds, "lambdas": lambdas, "state_dict": trained[name].state_dict()},
        path,
        code=sm.params.code,
    )
write_npz(
    sm.output.surfaces,
    code=sm.params.code,
    X=X,
    y=y,
    ticks=view_ticks,
    extent=cfg["extent"],
    lambdas=np.array(lambdas, dtype=float),
    gradient=surfaces[0],
    hessian=surfaces[1],
)
