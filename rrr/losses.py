"""The "right for the right reasons" objective (Sec. 2.1; reference §2.2).

    L = Σ_n Σ_k −y_nk log p̂_nk                        (right answers)
      + λ1 Σ_n Σ_d (A_nd ∂/∂x_nd Σ_k log p̂_nk)²        (right reasons)
      + λ2 Σ_i θ_i²                                     (regular; weights and biases)

Sums over the minibatch, no ½, exactly as the authors' code. ``reduction="mean"`` is the
reference's ``normalize=True`` variant: cross-entropy divided by the number of examples
and the right-reasons term by the number of annotated entries (at least 1).

Terms are returned per model: shape ``y.shape[:-1]``, i.e. a scalar for an ordinary
model and ``(S,)`` for a stack of ``S`` models (see :mod:`rrr.models`). ``l1`` may be a
tensor of that shape, giving each stacked model its own λ1.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

Reduction = Literal["sum", "mean"]


class RRRTerms(NamedTuple):
    """The three terms of the objective and their weighted total (what ``backward`` takes)."""

    right_answers: torch.Tensor
    right_reasons: torch.Tensor
    regular: torch.Tensor
    total: torch.Tensor


def l2_params(model: nn.Module) -> torch.Tensor:
    """Σ θ² over every parameter, weights and biases alike (no ½)."""
    return sum(p.pow(2).sum() for p in model.parameters())  # type: ignore[return-value]


def _has_annotations(mask: torch.Tensor | None, l1: float | torch.Tensor) -> bool:
    if mask is None:
        return False
    if isinstance(l1, torch.Tensor):
        if not bool((l1 != 0).any()):
            return False
    elif l1 == 0:
        return False
    return bool(mask.any())


def loss_terms(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    l1: float | torch.Tensor = 0.0,
    l2: float = 0.0,
    reduction: Reduction = "sum",
) -> RRRTerms:
    """Evaluate every term of the RRR objective with one forward pass.

    ``mask`` (the annotation matrix A) has the shape of ``x``, is boolean or float
    (weighted annotations), and may be ``None`` or all-zero, in which case the
    right-reasons term is exactly 0 and no double backpropagation is done.
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', not {reduction!r}.")
    penalize = _has_annotations(mask, l1)
    x = x.detach().to(torch.get_default_dtype() if not x.is_floating_point() else x.dtype)
    x.requires_grad_(penalize)
    log_probs = F.log_softmax(model(x), dim=-1)
    nll = F.nll_loss(log_probs.flatten(0, -2), y.flatten().long(), reduction="none")
    right_answers = nll.reshape(y.shape).sum(dim=-1)
    if penalize:
        (grads,) = torch.autograd.grad(log_probs.sum(), x, create_graph=True)
        mask = torch.broadcast_to(mask, grads.shape)  # type: ignore[arg-type]
        weighted = grads * mask.to(grads.dtype)
        right_reasons = weighted.pow(2).reshape(*y.shape, -1).sum(dim=(-1, -2))
    else:
        right_reasons = torch.zeros(y.shape[:-1], dtype=log_probs.dtype, device=log_probs.device)
    if reduction == "mean":
        right_answers = right_answers / y.shape[-1]
        if penalize:
            annotated = (mask != 0).reshape(*y.shape, -1).sum(dim=(-1, -2))
            right_reasons = right_reasons / annotated.clamp(min=1)
    regular = l2_params(model) if l2 else torch.zeros((), dtype=log_probs.dtype, device=log_probs.device)
    total = (right_answers + l1 * right_reasons).sum() + l2 * regular
    return RRRTerms(right_answers, right_reasons, regular, total)


def rrr_loss(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None = None,
    l1: float | torch.Tensor = 0.0,
    l2: float = 0.0,
    reduction: Reduction = "sum",
) -> torch.Tensor:
    """The paper's objective as one differentiable scalar; see :func:`loss_terms`."""
    return loss_terms(model, x, y, mask, l1=l1, l2=l2, reduction=reduction).total
