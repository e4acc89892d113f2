"""Input-gradient explanations (Sec. 1.2 of the paper) and the largest-gradient mask M_c."""

from __future__ import annotations

import copy

import numbers
from typing import Literal, get_args

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rrr.validation import check_examples, check_input_dtype, check_labels, check_tensor, model_dtype

GradientKind = Literal["sum_log_prob", "max_prob", "max_log_prob", "log_prob", "prob", "loss"]
GRADIENT_KINDS: tuple[str, ...] = get_args(GradientKind)


def _as_index(labels: int | torch.Tensor, batch_shape: torch.Size, device: torch.device) -> torch.Tensor:
    index = torch.as_tensor(labels, device=device, dtype=torch.long)
    try:
        return index.expand(batch_shape).unsqueeze(-1)
    except RuntimeError:
        raise ValueError(
            f"target (or y) must be one class index or one per example, shape {tuple(batch_shape)}; "
            f"got shape {tuple(index.shape)}."
        ) from None


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
    dtype: torch.dtype | None = None,
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
    parameters, which is what training penalties need. ``x`` must be a non-empty batch of
    the model's dtype (integer pixels are converted); bad arguments raise ``TypeError`` or
    ``ValueError`` naming them. ``dtype`` (``torch.float64``, say) evaluates a copy of the model
    in that precision: a float32 ∂p̂/∂x of a confident prediction (p̂ within round-off of 1)
    loses most of its digits, and the authors measured their explanations in float64.
    """
    if kind == "loss":
        target = y
    if dtype is not None and dtype != model_dtype(model):
        model = copy.deepcopy(model).to(dtype)
        x = torch.as_tensor(x).to(dtype)
    x = _validate(model, x, kind, target, "y" if kind == "loss" else "target").detach()
    x.requires_grad_(True)
    with torch.enable_grad():
        log_probs = F.log_softmax(model(x), dim=-1)
        output = explained_output(log_probs, kind, target)
        (grads,) = torch.autograd.grad(output, x, create_graph=create_graph)
    return grads


def _validate(
    model: nn.Module, x: torch.Tensor, kind: str, target: int | torch.Tensor | None, target_name: str
) -> torch.Tensor:
    """Check :func:`input_gradients`'s arguments; returns ``x`` as a floating tensor of the model's dtype."""
    if kind not in GRADIENT_KINDS:
        raise ValueError(f"Unknown gradient kind {kind!r}; choose one of {GRADIENT_KINDS}.")
    x = check_tensor("x", x)
    check_examples("x", x)
    if not x.is_floating_point():
        x = x.to(model_dtype(model) or torch.get_default_dtype())
    check_input_dtype("x", x, model)
    if target is None:
        return x
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        target = torch.tensor(int(target))
    elif not isinstance(target, (torch.Tensor, np.ndarray)):
        raise TypeError(f"{target_name} must be a class index or a tensor of them, got {type(target).__name__}.")
    check_labels(target_name, torch.as_tensor(target))
    return x


def largest_gradient_mask(
    grads: torch.Tensor, cutoff: float = 0.67, *, feature_dims: int = 1
) -> torch.Tensor:
    """The paper's M_c: per example, True where |g| ≥ c · max|g|.

    The last ``feature_dims`` dimensions make up one example. An example whose gradient
    is identically zero gets an all-False mask (it has no "largest" entries). ``cutoff`` must be in [0, 1]
    (``ValueError`` otherwise: above 1, or NaN, every mask would be all False in silence).
    """
    if not isinstance(cutoff, numbers.Real) or isinstance(cutoff, bool) or not 0 <= cutoff <= 1:
        raise ValueError(
            f"cutoff must be a number in [0, 1] (a fraction of each example's largest |gradient|), got {cutoff!r}."
        )
    magnitude = grads.abs()
    flat = magnitude.flatten(start_dim=magnitude.dim() - feature_dims)
    peak = flat.max(dim=-1).values
    peak = peak.reshape(*peak.shape, *([1] * feature_dims))
    return (magnitude >= cutoff * peak) & (peak > 0)
