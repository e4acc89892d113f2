"""Adam training of the RRR objective, batched as in the reference (§2.3), plus evaluation."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from rrr.losses import Reduction, annotated_entries, any_penalty_weight, objective_terms
from rrr.numerics import ArrayLike, DivergenceGuard, as_tensor
from rrr.progress import Progress, ProgressCallback, summarize
from rrr.validation import (
    check_choice,
    check_count,
    check_examples,
    check_input_dtype,
    check_label_shape,
    check_finite_values,
    check_labels,
    check_mask,
    check_mask_type,
    check_model,
    check_model_fits,
    check_nonnegative,
    model_device,
    model_dtype,
    warn_if_mask_ignored,
)


@dataclass
class History:
    """Per-epoch record of training. Entries are floats, or arrays of shape (S,) for stacked models.

    ``right_answers`` and ``right_reasons`` are the unweighted terms summed over the
    epoch's minibatches; ``running_accuracy`` is the share of the epoch's minibatch rows the
    model predicted right just before each step (the training accuracy Keras and Lightning
    log: free, from the step's own forward pass; :func:`accuracy` gives the trained model's);
    ``initial_*`` are the terms of the very first minibatch (what the paper's Appendix A
    balances).
    """

    right_answers: list = field(default_factory=list)
    right_reasons: list = field(default_factory=list)
    running_accuracy: list = field(default_factory=list)
    initial_right_answers: object = None
    initial_right_reasons: object = None

    def to_frame(self) -> pd.DataFrame:
        """Long-format table: one row per (model, epoch)."""
        ra = np.atleast_2d(np.asarray(self.right_answers, dtype=float).T).T
        rr = np.atleast_2d(np.asarray(self.right_reasons, dtype=float).T).T
        acc = np.atleast_2d(np.asarray(self.running_accuracy, dtype=float).T).T
        epochs, models = ra.shape
        return pd.DataFrame(
            {
                "model": np.tile(np.arange(models), epochs),
                "epoch": np.repeat(np.arange(1, epochs + 1), models),
                "right_answers": ra.ravel(),
                "right_reasons": rr.ravel(),
                "running_accuracy": acc.ravel(),
            }
        )


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
    x = as_tensor(x).to(model_device(model))
    n_models = _stack_size(model)
    if n_models is not None and x.dim() == 2:
        x = x.expand(n_models, *x.shape)
    dim = 0 if n_models is None else 1
    chunks = [torch.softmax(model(c), dim=-1) for c in x.split(batch_size, dim=dim)]
    return torch.cat(chunks, dim=dim)


def accuracy(model: nn.Module, x: ArrayLike, y: ArrayLike) -> float | np.ndarray:
    """Fraction of correct predictions; an array of shape (S,) for a stack of S models."""
    pred = predict_proba(model, x).argmax(dim=-1)
    correct = (pred == as_tensor(y).long().to(pred.device)).to(torch.float64).mean(dim=-1)
    return correct.item() if correct.dim() == 0 else correct.cpu().numpy()


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
    fused: bool = True,
    callback: ProgressCallback | None = None,
) -> tuple[nn.Module, History]:
    """Train ``model`` on the RRR objective with Adam (β=(0.9, 0.999), ε=1e-8).

    Defaults are the reference's: batch 256 (capped at N), lr 1e-3, 64 epochs, λ2=1e-4,
    summed losses and **sequential, unshuffled minibatches** (the last one shorter).
    ``shuffle=True`` reshuffles each epoch with ``seed``. ``always_include`` lists rows
    appended to every minibatch (oversampling the annotated examples). ``fused`` computes the
    right-reasons term in a fused form (:mod:`rrr.fused`: the same numbers in fewer passes);
    ``fused=False`` takes it as :func:`rrr.loss_terms` writes it. ``callback`` gets a :class:`rrr.progress.Progress`
    after each epoch (the epoch's terms and running accuracy, mean over a stack; it changes no number).

    For a stacked model (``n_models=S``) ``x`` is ``(S, N, ...)`` or shared ``(N, ...)``,
    and ``l1`` may be a sequence of S values: this trains S independent models at once.

    Arguments are checked once (``TypeError``/``ValueError`` naming the argument): a non-empty
    ``x`` of the model's dtype, integer labels ≥ 0 of ``x``'s leading shape, a ``mask`` of
    one model's ``x`` shape (N, ...) or, for a stack, (S, N, ...), ``l1``, ``l2`` ≥ 0,
    ``epochs`` ≥ 0, ``batch_size`` ≥ 1, a finite ``x`` with the model's number of input features and labels below
    its number of classes (for an MLP). A ``mask`` with every λ1 = 0 warns (``UserWarning``): it would be ignored.
    Raises :class:`TrainingDivergedError` when the
    objective (checked every step) or the parameters (checked after every epoch's last step)
    stop being finite; warns once (:class:`TrainingExplodingWarning`) when a finite objective
    exceeds 1e6 × its first value (a large λ1 makes large but legitimate losses, so no error).
    """
    check_model("model", model)
    n_models = _stack_size(model)
    x_t = as_tensor(x)
    if not x_t.is_floating_point():
        x_t = x_t.to(model_dtype(model) or torch.get_default_dtype())
    y_t = as_tensor(y)
    if n_models is not None and y_t.dim() == 1 and x_t.dim() > 2 and x_t.shape[0] == n_models != y_t.shape[0]:
        y_t = y_t.expand(n_models, -1)  # per-model inputs, shared labels
    if mask is not None:
        check_mask_type(mask)
    m_t = None if mask is None else as_tensor(mask)
    _validate_fit(model, x_t, y_t, m_t, l1, l2, epochs, batch_size, reduction, always_include)
    device = model_device(model)  # the data follow the model (a CUDA model trains on the GPU)
    x_t, y_t = x_t.to(device), y_t.long().to(device)
    m_t = None if m_t is None else m_t.to(device)
    feature_dims = x_t.dim() - y_t.dim()
    shared_mask = n_models is None or (m_t is not None and m_t.dim() == feature_dims + 1)  # one mask for all models
    if m_t is not None and m_t.dtype != torch.bool:
        m_t = m_t.to(torch.get_default_dtype())
    # Which rows carry an annotation, once: a minibatch without one (or λ1 = 0) skips the double backward.
    annotated = (
        None if m_t is None else annotated_entries(m_t).flatten(start_dim=m_t.dim() - feature_dims).any(dim=-1)
    )
    if isinstance(l1, (int, float)):
        l1_t: float | torch.Tensor = float(l1)
    else:
        l1_t = torch.as_tensor(l1, dtype=torch.get_default_dtype(), device=device)
    any_l1 = any_penalty_weight(l1_t)
    n = y_t.shape[-1]
    batch_size = min(batch_size, n)
    n_batches = math.ceil(n / batch_size)
    generator = torch.Generator().manual_seed(seed)
    extra = None if always_include is None else as_tensor(always_include).long().to(device)

    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    trained = [p for p in model.parameters() if p.requires_grad]  # backward stops there, not at the input copy
    history = History()
    guard = DivergenceGuard("rrr.fit", "lower lr or l1")
    model.train()
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator) if shuffle else None
        ra_sum = rr_sum = 0.0
        correct = seen = 0
        for b in range(n_batches):
            idx = order[b * batch_size : (b + 1) * batch_size] if order is not None else None
            if idx is None:
                idx = torch.arange(b * batch_size, min((b + 1) * batch_size, n))
            idx = idx.to(device)
            if extra is not None:
                idx = torch.cat([idx, extra])
            xb, yb = x_t.index_select(y_t.dim() - 1, idx), y_t.index_select(y_t.dim() - 1, idx)
            mb = None if m_t is None else m_t.index_select(m_t.dim() - feature_dims - 1, idx)
            xb, mb, yb = (_to_stack(t, n_models, d) for t, d in ((xb, feature_dims), (mb, feature_dims), (yb, 0)))
            penalize = annotated is not None and any_l1 and bool(annotated.index_select(-1, idx).any())
            terms = objective_terms(
                model, xb, yb, mb, l1=l1_t, l2=l2, reduction=reduction, penalize=penalize, fused=fused,
                shared_mask=shared_mask,
            )
            guard.objective(terms.total, f"epoch {epoch + 1}, minibatch {b + 1}", lambda t=terms: _describe(t))
            optimizer.zero_grad(set_to_none=True)
            terms.total.backward(inputs=trained)
            optimizer.step()
            ra, rr = terms.right_answers.detach(), terms.right_reasons.detach()
            if epoch == 0 and b == 0:
                history.initial_right_answers = _item(ra)
                history.initial_right_reasons = _item(rr)
            ra_sum = ra_sum + ra
            rr_sum = rr_sum + rr
            correct = correct + (terms.log_probs.detach().argmax(dim=-1) == yb).sum(dim=-1)
            seen += yb.shape[-1]
        guard.parameters(model, f"the end of epoch {epoch + 1} (after its last step)")
        history.right_answers.append(_item(ra_sum))
        history.right_reasons.append(_item(rr_sum))
        history.running_accuracy.append(_item(correct) / seen)
        if callback is not None:
            _report(callback, history, epoch + 1, epochs, n_batches, time.perf_counter() - start)
    model.eval()
    return model, history


def _report(
    callback: ProgressCallback, history: History, epoch: int, epochs: int, n_batches: int, elapsed: float
) -> None:
    """Hand ``callback`` the epoch just recorded in ``history`` (values already on the host: no extra work)."""
    terms = {name: summarize(getattr(history, name)[-1]) for name in ("right_answers", "right_reasons")}
    callback(Progress("rrr.fit", epoch * n_batches, epochs * n_batches, epoch, epochs, terms,
                      summarize(history.running_accuracy[-1]), elapsed))


def _describe(terms: object) -> str:
    ra, rr = terms.right_answers.sum().item(), terms.right_reasons.sum().item()  # type: ignore[attr-defined]
    return f" (right answers {ra:.4g}, right reasons {rr:.4g})"


def _validate_fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None,
    l1: object,
    l2: float,
    epochs: int,
    batch_size: int,
    reduction: str,
    always_include: ArrayLike | None,
) -> None:
    """Check :func:`fit`'s arguments once, before training (the loop itself runs unchecked)."""
    check_count("epochs", epochs, minimum=0)
    check_count("batch_size", batch_size)
    check_choice("reduction", reduction, ("sum", "mean"))
    check_input_dtype("x", x, model)
    check_label_shape("y", y, x)
    check_examples("x", x, y.dim())
    check_labels("y", y)
    check_model_fits(model, x, y)
    check_finite_values("x", x)
    n_models = _stack_size(model)
    if mask is not None:
        shared = x.shape[y.dim() - 1 :]  # one model's (N, ...)
        check_mask(mask, shared, None if n_models is None else (n_models, *shared))
    check_nonnegative("l1", l1)
    check_nonnegative("l2", l2)
    warn_if_mask_ignored("rrr.fit", mask, l1)
    n_l1 = int(np.size(l1.detach().cpu() if isinstance(l1, torch.Tensor) else l1))  # type: ignore[arg-type]
    if not isinstance(l1, (int, float)) and n_l1 != 1 and n_l1 != (n_models or 1):
        stack = f"a stack of {n_models} models" if n_models else "one model (not a stack)"
        raise ValueError(f"l1 must be one value or one per stacked model; got {n_l1} values for {stack}.")
    if always_include is not None:
        rows = as_tensor(always_include)
        n = y.shape[-1]
        if rows.is_floating_point() or (rows.numel() and not (0 <= int(rows.min()) and int(rows.max()) < n)):
            raise ValueError(f"always_include must hold integer row indices in [0, {n}), got {rows.tolist()}.")


def _item(t: torch.Tensor | float) -> float | np.ndarray:
    if isinstance(t, float):
        return t
    return t.item() if t.dim() == 0 else t.cpu().numpy().copy()
