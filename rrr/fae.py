"""Find-another-explanation (Sec. 2.2): train a sequence of models, each penalized where
its predecessors' explanations were largest, so each must be right for different reasons."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from rrr.explanations import input_gradients, largest_gradient_mask
from rrr.progress import Progress, ProgressCallback
from rrr.training import ArrayLike, History, accuracy, as_tensor, fit
from rrr.validation import check_count, check_nonnegative, model_device, warn_if_mask_ignored


@dataclass
class FAERound:
    """One round: the model, the annotation mask it was trained with, and its accuracies."""

    model: nn.Module
    mask: torch.Tensor
    history: History
    l1: float
    train_accuracy: float | np.ndarray
    test_accuracy: float | np.ndarray | None


def explanation_mask(model: nn.Module, x: ArrayLike, cutoff: float = 0.67, chunk: int | None = None) -> torch.Tensor:
    """M_c[f_X | θ]: the largest-magnitude entries of ∇ max_k p̂_k over ``x``.

    For a stack of S models (``model.n_models``) and rows ``x`` (N, D) shared by all, the mask is (S, N, D), each
    model's own. ``chunk`` rows at a time bound the float gradients held at once (S·chunk·D); the mask is per row,
    so chunking does not change it.
    """
    x = as_tensor(x).to(model_device(model))
    n_models = getattr(model, "n_models", None)
    parts = []
    for rows in x.split(chunk, dim=-2) if chunk else [x]:
        if n_models is not None and rows.dim() == 2:
            rows = rows.expand(n_models, *rows.shape)
        parts.append(largest_gradient_mask(input_gradients(model, rows, "max_prob"), cutoff))
    return torch.cat(parts, dim=-2)


def find_another_explanation(
    make_model: Callable[[int], nn.Module],
    x: ArrayLike,
    y: ArrayLike,
    *,
    rounds: int,
    l1: float | Sequence[float],
    cutoff: float = 0.67,
    x_test: ArrayLike | None = None,
    y_test: ArrayLike | None = None,
    callback: ProgressCallback | None = None,
    **fit_kwargs: object,
) -> list[FAERound]:
    """Run ``rounds`` models: θ0 with A=0, then θ_i with A_i = M_c[f_X|θ_{i-1}] ∪ A_{i-1}.

    ``make_model(i)`` returns a freshly initialized model for round i. ``l1`` is the λ1 of
    rounds 1, 2, … (one value, or one per round: the paper's Toy Color run uses 1e3 then 1e6).
    Extra keyword arguments go to :func:`rrr.fit`, which checks ``x``, ``y`` and them;
    bad arguments raise ``TypeError``/``ValueError`` naming them. ``callback`` (:mod:`rrr.progress`)
    hears every round's epochs, its trainer named ``rrr.fit round i/rounds``.
    """
    x_t = as_tensor(x)
    _validate(rounds, l1, cutoff, x_test, y_test)
    schedule = [float(l1)] * (rounds - 1) if np.isscalar(l1) else [float(v) for v in l1]  # type: ignore[arg-type]
    if len(schedule) < rounds - 1:
        raise ValueError(f"l1 gives {len(schedule)} values for {rounds - 1} annotated rounds.")
    if rounds > 1 and all(lam == 0 for lam in schedule[: rounds - 1]):
        warn_if_mask_ignored("rrr.find_another_explanation", True, 0.0)  # once here, not in every round's fit
    mask = torch.zeros_like(x_t, dtype=torch.bool)
    results: list[FAERound] = []
    for i in range(rounds):
        lam = 0.0 if i == 0 else schedule[i - 1]
        given = mask if i and lam else None  # λ1 = 0 ignores a mask: None trains the same numbers, without a warning
        report = None if callback is None else _round_callback(callback, i + 1, rounds)
        model, history = fit(
            make_model(i), x_t, y, given, l1=lam, callback=report, **fit_kwargs  # type: ignore[arg-type]
        )
        test_acc = None if x_test is None else accuracy(model, x_test, y_test)  # type: ignore[arg-type]
        results.append(FAERound(model, mask.clone(), history, lam, accuracy(model, x_t, y), test_acc))
        mask = mask | explanation_mask(model, x_t, cutoff).to(mask.device)
    return results


def _round_callback(callback: ProgressCallback, round_: int, rounds: int) -> ProgressCallback:
    """``callback`` with the round named in each record's trainer."""
    return lambda p: callback(replace(p, trainer=f"{p.trainer} round {round_}/{rounds}"))


def _validate(rounds: int, l1: object, cutoff: float, x_test: object, y_test: object) -> None:
    """Check :func:`find_another_explanation`'s own arguments (``fit`` checks the data)."""
    check_count("rounds", rounds)
    check_nonnegative("l1", l1)
    if not isinstance(cutoff, numbers.Real) or not 0 < cutoff <= 1:
        raise ValueError(f"cutoff must be in (0, 1] (a fraction of the largest gradient), got {cutoff!r}.")
    if (x_test is None) != (y_test is None):
        raise ValueError("x_test and y_test must be given together (or neither).")
