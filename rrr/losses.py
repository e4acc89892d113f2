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

from rrr.models import MLP
from rrr.validation import (
    check_choice,
    check_examples,
    check_input_dtype,
    check_label_shape,
    check_labels,
    check_mask,
    check_nonnegative,
    check_tensor,
    model_dtype,
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


def _any_penalty_weight(l1: float | torch.Tensor) -> bool:
    """Whether some model has λ1 ≠ 0 (``l1`` a number, or one value per stacked model)."""
    return bool((l1 != 0).any()) if isinstance(l1, torch.Tensor) else l1 != 0


def _annotated_entries(mask: torch.Tensor) -> torch.Tensor:
    """Where ``mask`` annotates, as booleans: a boolean mask as it is, a weighted one where it is not 0 (``!= 0`` on
    a boolean tensor would first copy it to int64, 8 bytes an entry)."""
    return mask if mask.dtype == torch.bool else mask != 0


def _has_annotations(mask: torch.Tensor | None, l1: float | torch.Tensor) -> bool:
    return mask is not None and _any_penalty_weight(l1) and bool(mask.any())


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

    ``x`` is a non-empty batch of the model's dtype (integer pixels are converted), ``y``
    integer class indices of shape ``x.shape[:y.dim()]``. ``mask`` (the annotation matrix A)
    has the shape of ``x`` (for a stack, or one model's ``x``, shared), is boolean or float
    (weighted annotations), and may be ``None`` or all-zero, in which case the right-reasons
    term is exactly 0 and no double backpropagation is done. ``l1`` and ``l2`` are ≥ 0.
    Raises ``TypeError``/``ValueError`` naming the offending argument.
    """
    x = validate_loss_args(model, x, y, mask, l1, l2, reduction)
    return _loss_terms(model, x, y, mask, l1=l1, l2=l2, reduction=reduction)


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
    check_choice("reduction", reduction, ("sum", "mean"))
    x, y = check_tensor("x", x), check_tensor("y", y)
    if not x.is_floating_point():
        x = x.to(model_dtype(model) or torch.get_default_dtype())
    check_input_dtype("x", x, model)
    check_label_shape("y", y, x)
    check_examples("x", x, y.dim())
    check_labels("y", y)
    if mask is not None:
        shared = x.shape[y.dim() - 1 :]
        check_mask(check_tensor("mask", mask), shared, x.shape if y.dim() > 1 else None)
    if isinstance(l1, torch.Tensor) and l1.dim() and tuple(l1.shape) != tuple(y.shape[:-1]):
        raise ValueError(
            f"l1 must be a number or one value per model, shape {tuple(y.shape[:-1])}; got {tuple(l1.shape)}."
        )
    check_nonnegative("l1", l1)
    check_nonnegative("l2", l2)
    return x


class _MaskedSquares(torch.autograd.Function):
    """Σ (A ⊙ G)² over examples and features, per model: the right-reasons sum, in two passes forward and one back.

    The same floating-point operations as ``(grads * mask).pow(2)`` summed, so the same numbers bit for bit, without
    the three elementwise passes of autograd's backward (the stacked Decoy-MNIST step spent most of its time in such
    passes; ``benchmarks/bench_rrr_step.py``). Under ``create_graph`` (a second derivative of the loss) the backward
    is built from differentiable operations on ``grads`` instead.
    """

    @staticmethod
    def forward(ctx, grads: torch.Tensor, mask: torch.Tensor, n_model_dims: int) -> torch.Tensor:  # type: ignore[override]
        weighted = _weighted(grads, mask)
        ctx.save_for_backward(grads, weighted, mask)
        return weighted.pow(2).flatten(start_dim=n_model_dims).sum(dim=-1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        grads, weighted, mask = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: the result must depend on grads through autograd
            weighted = _weighted(grads, mask)
        twice = (2 * grad).reshape(*grad.shape, *([1] * (weighted.dim() - grad.dim())))
        grad_grads = weighted * twice  # = grad · 2·weighted, exactly (×2 is exact)
        return (grad_grads if mask.dtype == torch.bool else grad_grads * mask.to(grads.dtype)), None, None


def _weighted(grads: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A ⊙ G, as a product with A in G's dtype also for a boolean A. ``torch.where(A, G, 0)`` gives the same squares,
    but its time grows with how mixed A is: 5–10 ms on a (9, 256, 784) stack with 30% of A set, where the float copy
    and the product take about 1.5 whatever A holds (AMD EPYC; ``benchmarks/bench_rrr_step.py``)."""
    return grads * mask.to(grads.dtype)


def _annotated_columns(model: nn.Module, mask: torch.Tensor, feature_dims: int) -> torch.Tensor | None:
    """The input features some example annotates, when ``model`` is an :class:`~rrr.models.MLP`, the mask is one for
    all its stacked models, and they are at most half of its inputs (the Decoy-MNIST swatches: 64 of 784 pixels in a
    minibatch); else None.

    The right-reasons term then needs the input gradient at those features only, which an MLP gives from the gradient
    at its first layer's output (:meth:`~rrr.models.MLP.input_gradient_columns`): the same values, the step without
    the (models, examples, features) gradient tensors and their products (``benchmarks/bench_rrr_step.py``). The
    parameters' gradients differ from the whole gradient's by float round-off only (sums of the same terms with the
    zeros left out, in another order). A stack whose models have masks of their own keeps the whole gradient, so that
    a model's numbers do not depend on which models share its job (config ``models_per_job``).
    """
    if type(model).forward is not MLP.forward or not _one_mask_for_all(model, mask, feature_dims):
        return None
    features = mask.flatten(start_dim=mask.dim() - feature_dims)
    columns = features.reshape(-1, features.shape[-1]).any(dim=0).nonzero().squeeze(1)
    return columns if len(columns) <= features.shape[-1] // 2 else None


def _one_mask_for_all(model: MLP, mask: torch.Tensor, feature_dims: int) -> bool:
    """Whether every model of ``model`` (a single one, or a stack) has the same mask: a single model's, or one mask
    shared by the stack, as given (no model dimension) or broadcast to it (stride 0, as ``rrr.fit`` passes it)."""
    return model.n_models is None or mask.dim() == feature_dims + 1 or mask.stride(0) == 0


def _loss_terms(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    l1: float | torch.Tensor = 0.0,
    l2: float = 0.0,
    reduction: Reduction = "sum",
    penalize: bool | None = None,
) -> RRRTerms:
    """:func:`loss_terms` without argument checks: what training loops call on every minibatch.

    ``penalize`` is whether any annotated entry meets a λ1 > 0 (computed from ``mask`` and ``l1`` when None); a
    loop that knows it saves a pass over the mask per step.
    """
    if penalize is None:
        penalize = _has_annotations(mask, l1)
    x = x.detach().to(torch.get_default_dtype() if not x.is_floating_point() else x.dtype)
    feature_dims = x.dim() - y.dim()
    columns = _annotated_columns(model, mask, feature_dims) if penalize else None
    if columns is None:
        x.requires_grad_(penalize)
        log_probs = F.log_softmax(model(x), dim=-1)
    else:
        hidden = model.first_layer(x)
        log_probs = F.log_softmax(model.from_first_layer(hidden), dim=-1)
    nll = F.nll_loss(log_probs.flatten(0, -2), y.flatten().long(), reduction="none")
    right_answers = nll.reshape(y.shape).sum(dim=-1)
    if penalize and columns is None:
        (grads,) = torch.autograd.grad(log_probs.sum(), x, create_graph=True)
        right_reasons = _MaskedSquares.apply(grads, mask, y.dim() - 1)
    elif penalize:
        (grad_hidden,) = torch.autograd.grad(log_probs.sum(), hidden, create_graph=True)
        grads = model.input_gradient_columns(grad_hidden, columns)
        mask_at_columns = mask.flatten(start_dim=mask.dim() - feature_dims).index_select(-1, columns)
        right_reasons = _MaskedSquares.apply(grads, mask_at_columns, y.dim() - 1)
    else:
        right_reasons = torch.zeros(y.shape[:-1], dtype=log_probs.dtype, device=log_probs.device)
    if reduction == "mean":
        right_answers = right_answers / y.shape[-1]
        if penalize:
            annotated = _annotated_entries(mask).reshape(*y.shape, -1).sum(dim=(-1, -2))
            right_reasons = right_reasons / annotated.clamp(min=1)
    regular = l2_params(model) if l2 else torch.zeros((), dtype=log_probs.dtype, device=log_probs.device)
    total = (right_answers + l1 * right_reasons).sum() + l2 * regular
    return RRRTerms(right_answers, right_reasons, regular, total, log_probs)


def rrr_loss(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None = None,
    l1: float | torch.Tensor = 0.0,
    l2: float = 0.0,
    reduction: Reduction = "sum",
) -> torch.Tensor:
    """The paper's objective as one differentiable scalar; see :func:`loss_terms` (same checks)."""
    return loss_terms(model, x, y, mask, l1=l1, l2=l2, reduction=reduction).total
