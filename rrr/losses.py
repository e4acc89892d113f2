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
        return _sum_of_squares(weighted, n_model_dims)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        grads, weighted, mask = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: the result must depend on grads through autograd
            weighted = _weighted(grads, mask)
        return _grad_of_squares(weighted, mask, grad), None, None


class _FirstLayerSquares(torch.autograd.Function):
    """Σ (A ⊙ G)² per model for an MLP, its input gradient G = ∂/∂h · Wᵀ taken from the gradient at its first layer's
    output h = x·W + b (the chain rule; ``weight`` is W laid out (…, in, out),
    :meth:`~rrr.models.MLP.first_layer_weight`).

    The same products and elementwise operations as autograd's input gradient followed by :class:`_MaskedSquares`, so
    a stack's numbers are the same bit for bit (a single MLP's too, but for its first weight's gradient when λ2 > 0:
    autograd then sums its three terms in another order; ``tests/test_losses.py``), with G masked in place: a step
    without the mask's float copy and one (models, examples, features) tensor (``benchmarks/bench_rrr_step.py``).
    Under ``create_graph`` the backward is built from differentiable operations, as :class:`_MaskedSquares`'s.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx, grad_hidden: torch.Tensor, weight: torch.Tensor, mask: torch.Tensor, n_model_dims: int
    ) -> torch.Tensor:
        grads = torch.matmul(grad_hidden, weight.transpose(-1, -2))
        weighted = grads.mul_(_mask_factor(mask, grads.dtype))  # grads is this function's own: masked in place
        ctx.save_for_backward(grad_hidden, weight, weighted, mask)
        return _sum_of_squares(weighted, n_model_dims)

    @staticmethod
    def backward(  # type: ignore[override]
        ctx, grad: torch.Tensor
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, None, None]:
        grad_hidden, weight, weighted, mask = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: the result must depend on grad_hidden and W through autograd
            weighted = _weighted(torch.matmul(grad_hidden, weight.transpose(-1, -2)), mask)
        grad_grads = _grad_of_squares(weighted, mask, grad)
        need_hidden, need_weight = ctx.needs_input_grad[:2]
        d_hidden = torch.matmul(grad_grads, weight) if need_hidden else None
        d_weight = torch.matmul(grad_hidden.transpose(-1, -2), grad_grads).transpose(-1, -2) if need_weight else None
        return d_hidden, d_weight, None, None


def _mask_factor(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A as a factor of G: a boolean A read as its bytes (0 or 1; the product converts them as it goes), a weighted
    one in G's dtype. A float copy of a boolean A costs a pass of its own: 0.9 ms for a (9, 256, 784) stack where the
    byte product takes 0.3 (AMD EPYC, one thread), with the same products bit for bit."""
    return mask.view(torch.uint8) if mask.dtype == torch.bool else mask.to(dtype)


def _weighted(grads: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A ⊙ G, as a product, also for a boolean A. ``torch.where(A, G, 0)`` gives the same squares, but its time grows
    with how mixed A is: 5–10 ms on a (9, 256, 784) stack with 30% of A set, where the product takes 0.3–1.5 whatever
    A holds (AMD EPYC; ``benchmarks/bench_rrr_step.py``)."""
    return grads * _mask_factor(mask, grads.dtype)


def _sum_of_squares(weighted: torch.Tensor, n_model_dims: int) -> torch.Tensor:
    return weighted.pow(2).flatten(start_dim=n_model_dims).sum(dim=-1)


def _grad_of_squares(weighted: torch.Tensor, mask: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """∂/∂G of Σ (A ⊙ G)² times ``grad`` (one value per model), as autograd's composite computes it: 2·grad·(A ⊙ G),
    times A again for a weighted A (×2 is exact, so the order of the factors leaves the numbers as they are)."""
    twice = (2 * grad).reshape(*grad.shape, *([1] * (weighted.dim() - grad.dim())))
    grad_grads = weighted * twice
    return grad_grads if mask.dtype == torch.bool else grad_grads * mask.to(weighted.dtype)


def _takes_first_layer_path(model: nn.Module) -> bool:
    """Whether ``model`` is an :class:`~rrr.models.MLP` computing its own ``forward``, whose input gradient is then
    taken from its first layer (:class:`_FirstLayerSquares`)."""
    return type(model).forward is MLP.forward


def _annotated_columns(model: MLP, mask: torch.Tensor, feature_dims: int) -> torch.Tensor | None:
    """The input features some example annotates, when the mask is one for all of the MLP's stacked models and they
    are at most half of its inputs (the Decoy-MNIST swatches: 64 of 784 pixels in a minibatch); else None.

    The right-reasons term then needs the input gradient at those features only (the first layer's weight at those
    columns, :meth:`~rrr.models.MLP.first_layer_weight`): the same values, the step without the (models, examples,
    features) gradient tensors and their products (``benchmarks/bench_rrr_step.py``). The parameters' gradients
    differ from the whole gradient's by float round-off only (sums of the same terms with the zeros left out, in
    another order). A stack whose models have masks of their own keeps the whole gradient, so that a model's numbers
    do not depend on which models share its job (config ``models_per_job``).
    """
    if not _one_mask_for_all(model, mask, feature_dims):
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
    first_layer = penalize and _takes_first_layer_path(model)
    if first_layer:
        hidden = model.first_layer(x)
        log_probs = F.log_softmax(model.from_first_layer(hidden), dim=-1)
    else:
        x.requires_grad_(penalize)
        log_probs = F.log_softmax(model(x), dim=-1)
    nll = F.nll_loss(log_probs.flatten(0, -2), y.flatten().long(), reduction="none")
    right_answers = nll.reshape(y.shape).sum(dim=-1)
    if first_layer:
        (grad_hidden,) = torch.autograd.grad(log_probs.sum(), hidden, create_graph=True)
        columns = _annotated_columns(model, mask, feature_dims)
        features = mask.flatten(start_dim=mask.dim() - feature_dims)
        if columns is not None:
            features = features.index_select(-1, columns)
        weight = model.first_layer_weight(columns)
        right_reasons = _FirstLayerSquares.apply(grad_hidden, weight, features, y.dim() - 1)
    elif penalize:
        (grads,) = torch.autograd.grad(log_probs.sum(), x, create_graph=True)
        right_reasons = _MaskedSquares.apply(grads, mask, y.dim() - 1)
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
