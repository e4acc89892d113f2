"""Appendix A: choose λ1 so the right-answers and right-reasons terms start out balanced."""

from __future__ import annotations

import torch
from torch import nn

from rrr.losses import Reduction, loss_terms
from rrr.training import ArrayLike, as_tensor


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
    """
    n = min(batch_size, len(x))
    x_b, y_b, m_b = as_tensor(x)[:n], as_tensor(y).long()[:n], as_tensor(mask)[:n]
    with torch.enable_grad():
        terms = loss_terms(model, x_b, y_b, m_b, l1=1.0, l2=0.0, reduction=reduction)
    right_reasons = terms.right_reasons.item()
    if right_reasons == 0:
        raise ValueError(
            "The right-reasons term is 0 on the first minibatch (empty mask or zero gradients "
            "there), so no λ1 can balance it; check the annotation mask."
        )
    return ratio * terms.right_answers.item() / right_reasons
