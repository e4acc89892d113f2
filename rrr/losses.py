"""The "right for the right reasons" objective (Sec. 2.1; reference §2.2).

    L = Σ_n Σ_k −y_nk log p̂_nk                        (right answers)
      + λ1 Σ_n Σ_d (A_nd ∂/∂x_nd Σ_k log p̂_nk)²        (right reasons)
      + λ2 Σ_i θ_i²                                     (regular; weights and biases)

Sums over the minibatch, no ½, exactly as the authors' code. ``reduction="mean"`` is the
reference's ``normalize=True`` variant: cross-entropy divided by the number of examples
and the right-reasons term by the number of annotated entries (at least 1).

Terms are returned per model: shape ``y.shape[:-1]``, i.e. a scalar for an ordinary
model and ``(S,)`` for a stack of ``S`` models (see :mod:`rrr.models`). ``l1`` may be a
tensor of that shape, giving each stacked model its own λ1. The right-reasons term is
written here as autograd computes it; ``fused=True`` takes the same numbers in fewer
passes (:mod:`rrr.fused`), as :func:`rrr.fit` does.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from rrr import fused as _fused_forms
from rrr.validation import (
    check_choice,
    check_examples,
    check_input_dtype,
    check_label_shape,
    check_finite_values,
    check_labels,
    check_mask,
    check_model,
    check_model_fits,
    check_nonnegative,
    check_tensor,
    model_dtype,
    warn_if_mask_ignored,
)

Reduction = Literal["sum", "mean"]


class RRRTerms(NamedTuple):
    """The three terms of the objective, their weighted total (what ``backward`` takes) and the log-probabilities
    they came from (what a training loop's running accuracy reads, without a second forward pass)."""

    right_answers: torch.Tensor
    right_reasons: torch.Tensor
    regular: torch.Tensor
    total: torch.Tensor
    log_probs: torch.Tensor


def l2_params(model: nn.Module) -> torch.Tensor:
    """Σ θ² over every parameter, weights and biases alike (no ½)."""
    return sum(p.pow(2).sum() for p in model.parameters())  # type: ignore[return-value]


def any_penalty_weight(l1: float | torch.Tensor) -> bool:
    """Whether some model has λ1 ≠ 0 (``l1`` a number, or one value per stacked model)."""
    return bool((l1 != 0).any()) if isinstance(l1, torch.Tensor) else l1 != 0


def annotated_entries(mask: torch.Tensor) -> torch.Tensor:
    """Where ``mask`` annotates, as booleans: a boolean mask as it is, a weighted one where it is not 0 (``!= 0`` on
    a boolean tensor would first copy it to int64, 8 bytes an entry)."""
    return mask if mask.dtype == torch.bool else mask != 0


def penalizes(mask: torch.Tensor | None, l1: float | torch.Tensor) -> bool:
    """Whether some annotated entry of ``mask`` meets a λ1 ≠ 0: only then is there a right-reasons term to compute."""
    return mask is not None and any_penalty_weight(l1) and bool(mask.any())


def loss_terms(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    l1: float | torch.Tensor = 0.0,
    l2: float = 0.0,
    reduction: Reduction = "sum",
    fused: bool = False,
) -> RRRTerms:
    """Evaluate every term of the RRR objective with one forward pass.

    ``x`` is a non-empty batch of the model's dtype (integer pixels are converted), ``y``
    integer class indices of shape ``x.shape[:y.dim()]``. ``mask`` (the annotation matrix A)
    has the shape of ``x`` (for a stack, or one model's ``x``, shared), is boolean or float
    (weighted annotations), and may be ``None`` or all-zero, in which case the right-reasons
    term is exactly 0 and no double backpropagation is done. ``l1`` and ``l2`` are ≥ 0.
    ``fused`` computes the right-reasons term in a fused form (:mod:`rrr.fused`; the same numbers
    but for round-off in an MLP's first-layer gradients). Raises ``TypeError``/``ValueError``
    naming the offending argument (also for a NaN/inf in ``x``, a feature count or a label the MLP does not have);
    a ``mask`` with λ1 = 0 warns (``UserWarning``), as it adds nothing.
    """
    x = validate_loss_args(model, x, y, mask, l1, l2, reduction)
    return objective_terms(model, x, y, mask, l1=l1, l2=l2, reduction=reduction, fused=fused)


def validate_loss_args(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None,
    l1: float | torch.Tensor,
    l2: float,
    reduction: str,
) -> torch.Tensor:
    """Check :func:`loss_terms`'s arguments once; returns ``x`` as a floating tensor of the model's dtype."""
    check_model("model", model)
    check_choice("reduction", reduction, ("sum", "mean"))
    x, y = check_tensor("x", x), check_tensor("y", y)
    if not x.is_floating_point():
        x = x.to(model_dtype(model) or torch.get_default_dtype())
    check_input_dtype("x", x, model)
    check_label_shape("y", y, x)
    check_examples("x", x, y.dim())
    check_labels("y", y)
    check_model_fits(model, x, y)
    check_finite_values("x", x)
    if mask is not None:
        shared = x.shape[y.dim() - 1 :]
        check_mask(check_tensor("mask", mask), shared, x.shape if y.dim() > 1 else None)
    if isinstance(l1, torch.Tensor) and l1.dim() and tuple(l1.shape) != tuple(y.shape[:-1]):
        raise ValueError(
            f"l1 must be a number or one value per model, shape {tuple(y.shape[:-1])}; got {tuple(l1.shape)}."
        )
    check_nonnegative("l1", l1)
    check_nonnegative("l2", l2)
    warn_if_mask_ignored("rrr.loss_terms", mask, l1)
    return x


def objective_terms(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    l1: float | torch.Tensor = 0.0,
    l2: float = 0.0,
    reduction: Reduction = "sum",
    penalize: bool | None = None,
    fused: bool = False,
    shared_mask: bool | None = None,
) -> RRRTerms:
    """:func:`loss_terms` without argument checks: what training loops call on every minibatch.

    ``penalize`` is whether any annotated entry meets a λ1 > 0 (:func:`penalizes`, computed when None; a loop that
    knows it saves a pass over the mask per step). ``fused`` takes the right-reasons term from :mod:`rrr.fused`;
    ``shared_mask`` tells it that every stacked model has the same mask (when None: the mask has no model dimension).
    """
    if penalize is None:
        penalize = penalizes(mask, l1)
    x = x.detach().to(torch.get_default_dtype() if not x.is_floating_point() else x.dtype)
    n_model_dims = y.dim() - 1
    if penalize and fused:
        if shared_mask is None:
            shared_mask = n_model_dims == 0 or mask.dim() == x.dim() - n_model_dims  # type: ignore[union-attr]
        log_probs, right_reasons = _fused_forms.log_probs_and_right_reasons(
            model, x, mask, n_model_dims, shared_mask=shared_mask  # type: ignore[arg-type]
        )
    elif penalize:
        x.requires_grad_(True)
        log_probs = F.log_softmax(model(x), dim=-1)
        right_reasons = right_reasons_term(log_probs, x, mask, n_model_dims)  # type: ignore[arg-type]
    else:
        log_probs = F.log_softmax(model(x), dim=-1)
        right_reasons = torch.zeros(y.shape[:-1], dtype=log_probs.dtype, device=log_probs.device)
    nll = F.nll_loss(log_probs.flatten(0, -2), y.flatten().long(), reduction="none")
    right_answers = nll.reshape(y.shape).sum(dim=-1)
    if reduction == "mean":
        right_answers = right_answers / y.shape[-1]
        if penalize:
            annotated = annotated_entries(mask).reshape(*y.shape, -1).sum(dim=(-1, -2))  # type: ignore[arg-type]
            right_reasons = right_reasons / annotated.clamp(min=1)
    regular = l2_params(model) if l2 else torch.zeros((), dtype=log_probs.dtype, device=log_probs.device)
    total = (right_answers + l1 * right_reasons).sum() + l2 * regular
    return RRRTerms(right_answers, right_reasons, regular, total, log_probs)


def right_reasons_term(
    log_probs: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, n_model_dims: int
) -> torch.Tensor:
    """Σ_n Σ_d (A_nd ∂/∂x_nd Σ_k log p̂_nk)² per model: the input gradient kept in the graph (double backpropagation),
    ``x`` the leaf the log-probabilities were computed from."""
    (grads,) = torch.autograd.grad(log_probs.sum(), x, create_graph=True)
    weights = mask if mask.dtype == torch.bool else mask.to(grads.dtype)
    return (grads * weights).pow(2).flatten(start_dim=n_model_dims).sum(dim=-1)


def rrr_loss(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None = None,
    l1: float | torch.Tensor = 0.0,
    l2: float = 0.0,
    reduction: Reduction = "sum",
    fused: bool = False,
) -> torch.Tensor:
    """The paper's objective as one differentiable scalar; see :func:`loss_terms` (same checks)."""
    return loss_terms(model, x, y, mask, l1=l1, l2=l2, reduction=reduction, fused=fused).total
