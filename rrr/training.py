"""Adam training of the RRR objective, batched as in the reference (§2.3), plus evaluation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from rrr.losses import Reduction, loss_terms

ArrayLike = np.ndarray | torch.Tensor


class TrainingDivergedError(FloatingPointError):
    """The objective became NaN or infinite during training."""


@dataclass
class History:
    """Per-epoch record of training. Entries are floats, or arrays of shape (S,) for stacked models.

    ``right_answers`` and ``right_reasons`` are the unweighted terms summed over the
    epoch's minibatches; ``initial_*`` are the terms of the very first minibatch (what
    the paper's Appendix A balances).
    """

    right_answers: list = field(default_factory=list)
    right_reasons: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    initial_right_answers: object = None
    initial_right_reasons: object = None

    def to_frame(self) -> pd.DataFrame:
        """Long-format table: one row per (model, epoch)."""
        ra = np.atleast_2d(np.asarray(self.right_answers, dtype=float).T).T
        rr = np.atleast_2d(np.asarray(self.right_reasons, dtype=float).T).T
        acc = np.atleast_2d(np.asarray(self.train_accuracy, dtype=float).T).T
        epochs, models = ra.shape
        return pd.DataFrame(
            {
                "model": np.tile(np.arange(models), epochs),
                "epoch": np.repeat(np.arange(1, epochs + 1), models),
                "right_answers": ra.ravel(),
                "right_reasons": rr.ravel(),
                "train_accuracy": acc.ravel(),
            }
        )


def as_tensor(a: ArrayLike, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Numpy or torch in, torch out; uint8 pixels become the default float dtype (0–255 kept)."""
    t = torch.as_tensor(a)
    if dtype is not None:
        return t.to(dtype)
    if t.dtype == torch.uint8:
        return t.to(torch.get_default_dtype())
    if t.dtype == torch.float64 and isinstance(a, np.ndarray):
        return t.to(torch.get_default_dtype())
    return t


def _stack_size(model: nn.Module) -> int | None:
    return getattr(model, "n_models", None)


def _to_stack(t: torch.Tensor | None, n_models: int | None, feature_dims: int) -> torch.Tensor | None:
    """Give shared data a leading model dimension (a view, no copy) when the model is stacked."""
    if t is None or n_models is None or t.dim() > 1 + feature_dims:
        return t
    return t.expand(n_models, *t.shape)


@torch.no_grad()
def predict_proba(model: nn.Module, x: ArrayLike, batch_size: int = 8192) -> torch.Tensor:
    """Class probabilities, evaluated in chunks to bound memory."""
    x = as_tensor(x)
    n_models = _stack_size(model)
    if n_models is not None and x.dim() == 2:
        x = x.expand(n_models, *x.shape)
    dim = 0 if n_models is None else 1
    chunks = [torch.softmax(model(c), dim=-1) for c in x.split(batch_size, dim=dim)]
    return torch.cat(chunks, dim=dim)


def accuracy(model: nn.Module, x: ArrayLike, y: ArrayLike) -> float | np.ndarray:
    """Fraction of correct predictions; an array of shape (S,) for a stack of S models."""
    pred = predict_proba(model, x).argmax(dim=-1)
    correct = (pred == as_tensor(y).long()).to(torch.float64).mean(dim=-1)
    return correct.item() if correct.dim() == 0 else correct.numpy()


def fit(
    model: nn.Module,
    x: ArrayLike,
    y: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    l1: float | Sequence[float] | torch.Tensor = 0.0,
    l2: float = 1e-4,
    epochs: int = 64,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    reduction: Reduction = "sum",
    shuffle: bool = False,
    always_include: ArrayLike | None = None,
) -> tuple[nn.Module, History]:
    """Train ``model`` on the RRR objective with Adam (β=(0.9, 0.999), ε=1e-8).

    Defaults are the reference's: batch 256 (capped at N), lr 1e-3, 64 epochs, λ2=1e-4,
    summed losses and **sequential, unshuffled minibatches** (the last one shorter).
    ``shuffle=True`` reshuffles each epoch with ``seed``. ``always_include`` lists rows
    appended to every minibatch (oversampling the annotated examples).

    For a stacked model (``n_models=S``) ``x`` is ``(S, N, ...)`` or shared ``(N, ...)``,
    and ``l1`` may be a sequence of S values: this trains S independent models at once.
    Raises :class:`TrainingDivergedError` if the objective stops being finite.
    """
    n_models = _stack_size(model)
    x_t = as_tensor(x)
    y_t = as_tensor(y).long()
    if n_models is not None and y_t.dim() == 1 and x_t.dim() > 2 and x_t.shape[0] == n_models != y_t.shape[0]:
        y_t = y_t.expand(n_models, -1)  # per-model inputs, shared labels
    feature_dims = x_t.dim() - y_t.dim()
    m_t = None if mask is None else as_tensor(mask)
    if m_t is not None and m_t.dtype != torch.bool:
        m_t = m_t.to(torch.get_default_dtype())
    l1_t = torch.as_tensor(l1, dtype=torch.get_default_dtype()) if not isinstance(l1, (int, float)) else float(l1)
    n = y_t.shape[-1]
    batch_size = min(batch_size, n)
    n_batches = math.ceil(n / batch_size)
    generator = torch.Generator().manual_seed(seed)
    extra = None if always_include is None else as_tensor(always_include).long()

    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    history = History()
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator) if shuffle else None
        ra_sum = rr_sum = 0.0
        for b in range(n_batches):
            idx = order[b * batch_size : (b + 1) * batch_size] if order is not None else None
            if idx is None:
                idx = torch.arange(b * batch_size, min((b + 1) * batch_size, n))
            if extra is not None:
                idx = torch.cat([idx, extra])
            xb, yb = x_t.index_select(y_t.dim() - 1, idx), y_t.index_select(y_t.dim() - 1, idx)
            mb = None if m_t is None else m_t.index_select(m_t.dim() - feature_dims - 1, idx)
            xb, mb, yb = (_to_stack(t, n_models, d) for t, d in ((xb, feature_dims), (mb, feature_dims), (yb, 0)))
            terms = loss_terms(model, xb, yb, mb, l1=l1_t, l2=l2, reduction=reduction)
            if not torch.isfinite(terms.total):
                raise TrainingDivergedError(
                    f"The RRR objective became {terms.total.item()} at epoch {epoch + 1}, minibatch {b + 1} "
                    f"(right answers {terms.right_answers.sum().item():.4g}, right reasons "
                    f"{terms.right_reasons.sum().item():.4g}). Lower l1 or lr, or check the inputs for NaN."
                )
            optimizer.zero_grad(set_to_none=True)
            terms.total.backward()
            optimizer.step()
            ra, rr = terms.right_answers.detach(), terms.right_reasons.detach()
            if epoch == 0 and b == 0:
                history.initial_right_answers = _item(ra)
                history.initial_right_reasons = _item(rr)
            ra_sum = ra_sum + ra
            rr_sum = rr_sum + rr
        history.right_answers.append(_item(ra_sum))
        history.right_reasons.append(_item(rr_sum))
        history.train_accuracy.append(accuracy(model, x_t, y_t))
    model.eval()
    return model, history


def _item(t: torch.Tensor | float) -> float | np.ndarray:
    if isinstance(t, float):
        return t
    return t.item() if t.dim() == 0 else t.numpy().copy()
