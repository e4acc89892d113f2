"""Input-gradient explanations (Sec. 1.2 of the paper) and the largest-gradient mask M_c."""

from __future__ import annotations

from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import nn

GradientKind = Literal["sum_log_prob", "max_prob", "max_log_prob", "log_prob", "prob", "loss"]
GRADIENT_KINDS: tuple[str, ...] = get_args(GradientKind)


def _as_index(labels: int | torch.Tensor, batch_shape: torch.Size, device: torch.device) -> torch.Tensor:
    index = torch.as_tensor(labels, device=device, dtype=torch.long)
    return index.expand(batch_shape).unsqueeze(-1)


def explained_output(
    log_probs: torch.Tensor,
    kind: GradientKind,
    target: int | torch.Tensor | None = None,
) -> torch.Tensor:
    """The scalar whose input gradient is the explanation ``kind``, summed over examples.

    ``log_probs`` has classes on the last dimension. Rows are independent, so the gradient
    of the sum is each row's own gradient.
    """
    batch_shape = log_probs.shape[:-1]
    if kind == "sum_log_prob":
        return log_probs.sum()
    if kind == "max_prob":
        return log_probs.max(dim=-1).values.exp().sum()
    if kind == "max_log_prob":
        return log_probs.max(dim=-1).values.sum()
    if kind in ("log_prob", "prob", "loss"):
        if target is None:
            needs = "y (the true labels)" if kind == "loss" else "target (a class index or per-example labels)"
            raise ValueError(f"input_gradients(kind={kind!r}) needs {needs}.")
        chosen = log_probs.gather(-1, _as_index(target, batch_shape, log_probs.device)).squeeze(-1)
        if kind == "log_prob":
            return chosen.sum()
        if kind == "prob":
            return chosen.exp().sum()
        return -chosen.sum()
    raise ValueError(f"Unknown gradient kind {kind!r}; choose one of {GRADIENT_KINDS}.")


def input_gradients(
    model: nn.Module,
    x: torch.Tensor,
    kind: GradientKind = "sum_log_prob",
    *,
    target: int | torch.Tensor | None = None,
    y: torch.Tensor | None = None,
    create_graph: bool = False,
) -> torch.Tensor:
    """Gradients of a model output with respect to its input, for a whole batch in one backward pass.

    ``model`` is any module mapping ``x`` to logits (classes on the last dimension) whose
    rows do not interact (no batch norm in training mode). Kinds:

    * ``sum_log_prob`` — ∂/∂x Σ_k log p̂_k, the quantity the RRR penalty constrains;
    * ``max_prob`` — ∂ max_k p̂_k / ∂x, the paper's explanation f_X and FAE masks;
    * ``max_log_prob`` — ∂ max_k log p̂_k / ∂x;
    * ``log_prob`` / ``prob`` — of class ``target`` (an int or per-example labels);
    * ``loss`` — ∂ cross-entropy(y) / ∂x, as in double backpropagation.

    With ``create_graph=True`` the result is differentiable with respect to the
    parameters, which is what training penalties need.
    """
    if kind == "loss":
        target = y
    x = x.detach().to(torch.get_default_dtype() if not x.is_floating_point() else x.dtype)
    x.requires_grad_(True)
    with torch.enable_grad():
        log_probs = F.log_softmax(model(x), dim=-1)
        output = explained_output(log_probs, kind, target)
        (grads,) = torch.autograd.grad(output, x, create_graph=create_graph)
    return grads


def largest_gradient_mask(
    grads: torch.Tensor, cutoff: float = 0.67, *, feature_dims: int = 1
) -> torch.Tensor:
    """The paper's M_c: per example, True where |g| ≥ c · max|g|.

    The last ``feature_dims`` dimensions make up one example. An example whose gradient
    is identically zero gets an all-False mask (it has no "largest" entries).
    """
    magnitude = grads.abs()
    flat = magnitude.flatten(start_dim=magnitude.dim() - feature_dims)
    peak = flat.max(dim=-1).values
    peak = peak.reshape(*peak.shape, *([1] * feature_dims))
    return (magnitude >= cutoff * peak) & (peak > 0)
