"""Fused forms of the right-reasons term λ1 Σ (A ⊙ ∂/∂x Σ_k log p̂_k)²: the numbers of :mod:`rrr.losses`' autograd
form, in fewer passes over the (models, examples, features) tensors.

:func:`rrr.fit` asks for them (``fused=True``, its default); :func:`rrr.loss_terms` and :func:`rrr.rrr_loss` use them
only when asked. Two forms, chosen by what the model offers:

- any model: the sum of squares as one autograd Function (:class:`MaskedSquares`), one elementwise pass backward
  instead of three;
- a model that exposes its first affine layer (:class:`FirstLayerModel`, as :class:`rrr.models.MLP` does): the input
  gradient G = ∂/∂h · Wᵀ from the gradient at that layer's output h (:class:`FirstLayerSquares`), masked in place;
  where every stacked model has the same mask and it annotates at most half of the inputs (Decoy MNIST's swatch),
  at those columns only (:func:`annotated_columns`).

Bit for bit the autograd form's numbers (``tests/test_losses.py``), but for two round-off differences: a single
(unstacked) MLP's first weight with λ2 > 0 sums its three gradient terms in another order, and the annotated columns
sum the parameters' gradients without the zeros. ``benchmarks/bench_rrr_step.py`` measures what each form buys.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import nn


@runtime_checkable
class FirstLayerModel(Protocol):
    """A model whose ``forward(x)`` is ``from_first_layer(first_layer(x))``, with ``first_layer`` an affine map
    h = x·W + b whose W (laid out (…, in, out)) ``first_layer_weight`` gives, at some input columns if asked."""

    def first_layer(self, x: torch.Tensor) -> torch.Tensor: ...

    def from_first_layer(self, h: torch.Tensor) -> torch.Tensor: ...

    def first_layer_weight(self, columns: torch.Tensor | None = None) -> torch.Tensor: ...


def log_probs_and_right_reasons(
    model: nn.Module, x: torch.Tensor, mask: torch.Tensor, n_model_dims: int, *, shared_mask: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """The log-probabilities of ``x`` and Σ (A ⊙ G)² per model, G the input gradient of Σ_k log p̂_k, in a fused form.

    ``n_model_dims`` is 0 for one model, 1 for a stack; ``shared_mask`` says that every stacked model has the same
    mask (what lets a :class:`FirstLayerModel` take the gradient at the annotated columns only).
    """
    feature_dims = x.dim() - n_model_dims - 1
    if isinstance(model, FirstLayerModel):
        hidden = model.first_layer(x)
        log_probs = F.log_softmax(model.from_first_layer(hidden), dim=-1)
        (grad_hidden,) = torch.autograd.grad(log_probs.sum(), hidden, create_graph=True)
        columns = annotated_columns(mask, feature_dims) if shared_mask else None
        features = mask.flatten(start_dim=mask.dim() - feature_dims)
        if columns is not None:
            features = features.index_select(-1, columns)
        weight = model.first_layer_weight(columns)
        return log_probs, FirstLayerSquares.apply(grad_hidden, weight, features, n_model_dims)
    x.requires_grad_(True)
    log_probs = F.log_softmax(model(x), dim=-1)
    (grads,) = torch.autograd.grad(log_probs.sum(), x, create_graph=True)
    return log_probs, MaskedSquares.apply(grads, mask, n_model_dims)


def annotated_columns(mask: torch.Tensor, feature_dims: int) -> torch.Tensor | None:
    """The input features some example of ``mask`` (one mask for every model) annotates, when they are at most half
    of the inputs; else None (the whole gradient is then cheaper than gathering columns).

    A stack whose models have masks of their own keeps the whole gradient, so that a model's numbers do not depend on
    which models share its job (config ``models_per_job``).
    """
    features = mask.flatten(start_dim=mask.dim() - feature_dims)
    columns = features.reshape(-1, features.shape[-1]).any(dim=0).nonzero().squeeze(1)
    return columns if len(columns) <= features.shape[-1] // 2 else None


class MaskedSquares(torch.autograd.Function):
    """Σ (A ⊙ G)² over examples and features, per model, in two passes forward and one back.

    The same floating-point operations as ``(grads * mask).pow(2)`` summed, so the same numbers bit for bit. Under
    ``create_graph`` (a second derivative of the loss) the backward is built from differentiable operations instead.
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


class FirstLayerSquares(torch.autograd.Function):
    """Σ (A ⊙ G)² per model with G = ∂/∂h · Wᵀ computed from the gradient at the first layer's output h = x·W + b
    (the chain rule; ``weight`` is W laid out (…, in, out)), G masked in place.

    The same products and elementwise operations as autograd's input gradient followed by :class:`MaskedSquares`,
    without the mask's float copy and one (models, examples, features) tensor. Under ``create_graph`` the backward is
    built from differentiable operations, as :class:`MaskedSquares`'s.
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
    """A as a factor of G: a boolean A read as its bytes (0 or 1; the product converts them as it goes, without a
    float copy of A), a weighted one in G's dtype."""
    return mask.view(torch.uint8) if mask.dtype == torch.bool else mask.to(dtype)


def _weighted(grads: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A ⊙ G as a product, also for a boolean A: ``torch.where(A, G, 0)`` gives the same squares, but its time grows
    with how mixed A is."""
    return grads * _mask_factor(mask, grads.dtype)


def _sum_of_squares(weighted: torch.Tensor, n_model_dims: int) -> torch.Tensor:
    return weighted.pow(2).flatten(start_dim=n_model_dims).sum(dim=-1)


def _grad_of_squares(weighted: torch.Tensor, mask: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """∂/∂G of Σ (A ⊙ G)² times ``grad`` (one value per model), as autograd's composite computes it: 2·grad·(A ⊙ G),
    times A again for a weighted A (×2 is exact, so the order of the factors leaves the numbers as they are)."""
    twice = (2 * grad).reshape(*grad.shape, *([1] * (weighted.dim() - grad.dim())))
    grad_grads = weighted * twice
    return grad_grads if mask.dtype == torch.bool else grad_grads * mask.to(weighted.dtype)
