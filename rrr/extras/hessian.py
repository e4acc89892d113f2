"""Alternative input-derivative penalties (thesis App. I): L1 and L2 input-gradient norms, and the
Frobenius norm of the input Hessian, exact or estimated by random finite differences.

* L1 vs L2 (App. I.1): Σ_d |∂f/∂x_d| is a "local linear LASSO", Σ_d (∂f/∂x_d)² the paper's
  ridge-like penalty.
* Hessian (App. I.2, after Bishop 1993): ‖∇²_x f‖²_F. Exactly it costs D extra backward
  passes (one per Hessian row), fine for small D. Rifai et al. (2011) estimate it for any
  D as E_ε ‖∇f(x+ε) − ∇f(x)‖² / σ² with ε ~ N(0, σ²I), which converges as σ → 0.

Every penalty is the mean over examples of a per-example norm, per model: a scalar for an
ordinary model and shape (S,) for a stack of S models (inputs (S, N, D), see
:mod:`rrr.models`). Penalties on ReLU networks' Hessians are zero almost everywhere, so
:func:`rrr.models.smooth_mlp` builds softplus networks for them.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rrr.explanations import GradientKind, explained_output
from rrr.numerics import ArrayLike, DivergenceGuard, as_tensor
from rrr.progress import Progress, ProgressCallback, summarize
from rrr.validation import model_device

Penalty = Literal["none", "l1_norm", "l2_norm", "hessian", "hessian_estimate"]
PENALTIES: tuple[str, ...] = ("none", "l1_norm", "l2_norm", "hessian", "hessian_estimate")
# The names of rrr 0.1; "l1"/"l2" now mean only the RRR loss's λ1/λ2 (rrr.rrr_loss(l1=, l2=)).
_RENAMED = {"l1": "l1_norm", "l2": "l2_norm"}


def _penalty_name(penalty: str) -> str:
    """The current name of ``penalty``, with a DeprecationWarning for an rrr 0.1 name."""
    if penalty in _RENAMED:
        warnings.warn(
            f"penalty {penalty!r} is renamed {_RENAMED[penalty]!r} (l1/l2 are the RRR loss's λ1/λ2); "
            "the old name goes in rrr 0.3.",
            DeprecationWarning,
            stacklevel=3,
        )
        return _RENAMED[penalty]
    return penalty


def _input_grads(
    log_probs: torch.Tensor, x: torch.Tensor, output: GradientKind, y: torch.Tensor | None
) -> torch.Tensor:
    """∇_x of the summed explained output (rows independent), kept differentiable."""
    (g,) = torch.autograd.grad(explained_output(log_probs, output, y), x, create_graph=True)
    return g


def _per_model_mean(per_example: torch.Tensor, y_shape: torch.Size) -> torch.Tensor:
    return per_example.reshape(y_shape).mean(dim=-1)


def hessian_frobenius_sq(
    model: nn.Module, x: torch.Tensor, output: GradientKind = "sum_log_prob", y: torch.Tensor | None = None
) -> torch.Tensor:
    """Exact per-example ‖∇²_x f(x)‖²_F, shape x.shape[:-1]; x is (..., D) with small D.

    Row d of the Hessian is ∇_x (∂f/∂x_d), one extra backward pass each. Differentiable
    with respect to the model's parameters.
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        g = _input_grads(F.log_softmax(model(x), dim=-1), x, output, y)
        total = torch.zeros(x.shape[:-1], dtype=g.dtype)
        for d in range(x.shape[-1]):
            (row,) = torch.autograd.grad(g[..., d].sum(), x, create_graph=True)
            total = total + row.pow(2).sum(-1)
    return total


def hessian_frobenius_sq_estimate(
    model: nn.Module,
    x: torch.Tensor,
    output: GradientKind = "sum_log_prob",
    y: torch.Tensor | None = None,
    *,
    sigma: float = 0.01,
    n_samples: int = 1,
    generator: torch.Generator | None = None,
    create_graph: bool = True,
) -> torch.Tensor:
    """Rifai et al.'s estimate of ‖∇²_x f‖²_F: mean over ε_k ~ N(0, σ²I) of ‖∇f(x+ε_k) − ∇f(x)‖² / σ².

    ``x`` is (N, D), or (S, N, D) for a stack of S models; returns shape x.shape[:-1].

    Costs ``n_samples`` + 1 gradient evaluations whatever the input dimension; biased by
    O(σ²) (third derivatives), unbiased as σ → 0.
    """
    x = x.detach()
    n = x.shape[-2]
    with torch.enable_grad():
        noisy = [x + sigma * torch.randn(x.shape, generator=generator).to(x.device) for _ in range(n_samples)]
        reps = torch.cat([x, *noisy], dim=-2).requires_grad_(True)
        y_rep = None if y is None else y.repeat(*([1] * (y.dim() - 1)), n_samples + 1)
        g = _input_grads(F.log_softmax(model(reps), dim=-1), reps, output, y_rep)
        if not create_graph:
            g = g.detach()
    g0 = g[..., :n, :]
    gk = torch.stack([g[..., (k + 1) * n : (k + 2) * n, :] for k in range(n_samples)])
    return (gk - g0).pow(2).sum(-1).mean(0) / sigma**2


def penalty_terms(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    penalty: Penalty,
    *,
    output: GradientKind = "sum_log_prob",
    sigma: float = 0.01,
    n_samples: int = 1,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean cross-entropy, mean penalty), per model (shape ``y.shape[:-1]``).

    ``output`` is the function whose input derivatives are penalized: ``sum_log_prob``
    (the RRR penalty's Σ_k log p̂_k) or ``loss`` (the cross-entropy, as in double backprop).
    """
    penalty = _penalty_name(penalty)
    target = y if output in ("loss", "log_prob", "prob") else None
    x = x.detach() if x.is_floating_point() else x.to(torch.get_default_dtype())
    x = x.requires_grad_(penalty in ("l1_norm", "l2_norm"))
    log_probs = F.log_softmax(model(x), dim=-1)
    nll = F.nll_loss(log_probs.flatten(0, -2), y.flatten(), reduction="none")
    ce = _per_model_mean(nll, y.shape)
    if penalty == "none":
        return ce, torch.zeros_like(ce)
    if penalty in ("l1_norm", "l2_norm"):
        g = _input_grads(log_probs, x, output, target).flatten(start_dim=y.dim())
        per_example = g.abs().sum(-1) if penalty == "l1_norm" else g.pow(2).sum(-1)
    elif penalty == "hessian":
        per_example = hessian_frobenius_sq(model, x, output, target)
    elif penalty == "hessian_estimate":
        per_example = hessian_frobenius_sq_estimate(
            model, x, output, target, sigma=sigma, n_samples=n_samples, generator=generator
        )
    else:
        raise ValueError(f"Unknown penalty {penalty!r}; choose one of {PENALTIES}.")
    return ce, _per_model_mean(per_example, y.shape)


@dataclass
class PenaltyHistory:
    """Per-epoch means of the cross-entropy and the (unweighted) penalty, per model, and the wall time."""

    cross_entropy: list = field(default_factory=list)
    penalty: list = field(default_factory=list)
    seconds: float = 0.0


def fit_input_penalty(
    model: nn.Module,
    x: ArrayLike,
    y: ArrayLike,
    *,
    penalty: Penalty,
    lam: float | Sequence[float],
    output: GradientKind = "sum_log_prob",
    epochs: int = 100,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    sigma: float = 0.01,
    n_samples: int = 1,
    callback: ProgressCallback | None = None,
) -> tuple[nn.Module, PenaltyHistory]:
    """Adam on mean cross-entropy + λ · mean penalty, shuffled minibatches.

    For a stack of S models (shared data ``x`` (N, ...)) ``lam`` may hold one λ per model;
    the stack's objective is the sum of the models' objectives, i.e. S independent trainings.
    Raises :class:`rrr.TrainingDivergedError` when the objective (every step) or the parameters
    (after every epoch) stop being finite, and warns once if the objective explodes (see :func:`rrr.fit`).
    ``callback`` gets a :class:`rrr.progress.Progress` after each epoch (mean terms over a stack).
    """
    penalty = _penalty_name(penalty)
    device = model_device(model)  # the data follow the model (a CUDA model trains on the GPU)
    x_t, y_t = as_tensor(x).to(device), as_tensor(y).long().to(device)
    n_models = getattr(model, "n_models", None)
    lam_t = torch.as_tensor(lam, dtype=torch.get_default_dtype(), device=device)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = PenaltyHistory()
    guard = DivergenceGuard("rrr.extras.hessian.fit_input_penalty", "lower lr or lam")
    n = len(y_t)
    n_batches = -(-n // batch_size)
    start = time.perf_counter()
    model.train()
    for epoch in range(epochs):
        ce_sum = pen_sum = 0.0
        for b, idx in enumerate(torch.randperm(n, generator=generator).split(batch_size)):
            xb, yb = x_t[idx], y_t[idx]
            if n_models is not None:
                xb, yb = xb.expand(n_models, *xb.shape), yb.expand(n_models, *yb.shape)
            ce, pen = penalty_terms(
                model, xb, yb, penalty, output=output, sigma=sigma, n_samples=n_samples, generator=generator
            )
            total = (ce + lam_t * pen).sum()
            guard.objective(total, f"epoch {epoch + 1}, minibatch {b + 1}")
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            ce_sum = ce_sum + ce.detach() * len(idx)
            pen_sum = pen_sum + pen.detach() * len(idx)
        guard.parameters(model, f"the end of epoch {epoch + 1} (after its last step)")
        history.cross_entropy.append((ce_sum / n).cpu().numpy().copy())
        history.penalty.append((pen_sum / n).cpu().numpy().copy())
        if callback is not None:
            terms = {"cross_entropy": summarize(history.cross_entropy[-1]), "penalty": summarize(history.penalty[-1])}
            callback(Progress("fit_input_penalty", (epoch + 1) * n_batches, epochs * n_batches, epoch + 1, epochs,
                              terms, None, time.perf_counter() - start))
    model.eval()
    history.seconds = time.perf_counter() - start
    return model, history


def evaluate_penalty(
    model: nn.Module, x: ArrayLike, y: ArrayLike, penalty: Penalty, output: GradientKind = "sum_log_prob"
) -> np.ndarray:
    """Mean penalty over a data set, per model (no training graph kept)."""
    penalty = _penalty_name(penalty)
    x_t, y_t = as_tensor(x), as_tensor(y).long()
    n_models = getattr(model, "n_models", None)
    if n_models is not None:
        x_t, y_t = x_t.expand(n_models, *x_t.shape), y_t.expand(n_models, *y_t.shape)
    _, pen = penalty_terms(model, x_t, y_t, penalty, output=output)
    return np.atleast_1d(pen.detach().numpy())
