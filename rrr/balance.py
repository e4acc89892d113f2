"""Appendix A: choose λ1 so the right-answers and right-reasons terms start out balanced."""

from __future__ import annotations

import numbers

import torch
from torch import nn

from rrr.losses import Reduction, objective_terms, validate_loss_args
from rrr.training import ArrayLike, as_tensor
from rrr.validation import check_count, model_device


def balance_l1(
    model: nn.Module,
    x: ArrayLike,
    y: ArrayLike,
    mask: ArrayLike,
    *,
    ratio: float = 1.0,
    batch_size: int = 256,
    reduction: Reduction = "sum",
) -> float:
    """λ1 at which λ1 · right-reasons = ``ratio`` · right-answers on the first minibatch.

    This is the quantity on the right axis of the paper's Figure 11 (evaluated at
    iteration 1, before any update); the paper recommends raising λ1 until it is ≈ 1.
    ``mask`` has the shape of ``x``; bad arguments raise ``TypeError``/``ValueError`` naming them.
    """
    if mask is None:
        raise ValueError("balance_l1 needs an annotation mask (the shape of x); got None.")
    check_count("batch_size", batch_size)
    if not isinstance(ratio, numbers.Real) or not 0 < ratio < float("inf"):
        raise ValueError(f"ratio must be a finite number > 0, got {ratio!r}.")
    device = model_device(model)
    x_t, y_t, m_t = (as_tensor(a).to(device) for a in (x, y, mask))
    x_t = validate_loss_args(model, x_t, y_t, m_t, 1.0, 0.0, reduction)
    n = min(batch_size, len(x_t))
    with torch.enable_grad():
        terms = objective_terms(model, x_t[:n], y_t[:n], m_t[:n], l1=1.0, l2=0.0, reduction=reduction, fused=True)
    right_reasons = terms.right_reasons.item()
    if right_reasons == 0:
        raise ValueError(
            "The right-reasons term is 0 on the first minibatch (empty mask or zero gradients "
            "there), so no λ1 can balance it; check the annotation mask."
        )
    return ratio * terms.right_answers.item() / right_reasons
