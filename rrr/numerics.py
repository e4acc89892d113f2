"""Tensors in, and a run's numbers kept finite: what every trainer of the package shares.

:func:`as_tensor` takes numpy or torch; :func:`check_finite` and :class:`DivergenceGuard` stop a training whose
objective or parameters became NaN or infinite, naming the step and the fix. Kept apart from :mod:`rrr.training`
so that trainers of other objectives (the adversarial CNNs, the autoencoder) do not depend on the RRR loss.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import nn

ArrayLike = np.ndarray | torch.Tensor
EXPLOSION_FACTOR = 1e6


class TrainingDivergedError(FloatingPointError):
    """The objective or the parameters became NaN or infinite during training."""


class TrainingExplodingWarning(RuntimeWarning):
    """The objective is still finite but has grown by more than :data:`EXPLOSION_FACTOR` since the first step."""


def _first_non_finite(parameters: nn.Module | Iterable[torch.Tensor]) -> str | None:
    """The name (or index) of the first parameter holding NaN or ±inf; one device sync when all are finite."""
    named = list(parameters.named_parameters() if isinstance(parameters, nn.Module) else enumerate(parameters))
    if not named or bool(torch.stack([p.detach().isfinite().all() for _, p in named]).all()):
        return None
    return next(str(name) for name, p in named if not bool(p.detach().isfinite().all()))


def check_finite(
    trainer: str,
    where: str,
    *,
    objective: torch.Tensor | float | None = None,
    parameters: nn.Module | Iterable[torch.Tensor] | None = None,
    fix: str = "lower lr",
    detail: str = "",
) -> None:
    """Raise :class:`TrainingDivergedError` if ``objective`` or any of ``parameters`` is NaN or ±inf.

    ``trainer`` names the training function and ``where`` the step ("epoch 3, minibatch 2");
    the message says which of the two became non-finite and ``fix``. Costs one sync per check.
    """
    if objective is not None:
        value = torch.as_tensor(objective).detach()
        if not bool(value.isfinite().all()):
            shown = value.item() if value.numel() == 1 else value.tolist()
            raise TrainingDivergedError(
                f"{trainer}: the training objective became {shown} at {where}{detail}; training diverged. "
                f"Fix: {fix}, or check the inputs for NaN."
            )
    if parameters is not None:
        name = _first_non_finite(parameters)
        if name is not None:
            raise TrainingDivergedError(
                f"{trainer}: the model's parameters became NaN or infinite (first: {name}) at {where}; "
                f"training diverged. Fix: {fix}."
            )


class DivergenceGuard:
    """:func:`check_finite` for one training run, plus one :class:`TrainingExplodingWarning` when a
    still finite objective exceeds :data:`EXPLOSION_FACTOR` × its first value (a divergence that has
    not overflowed yet: lower lr or λ). Check the objective every step and the parameters every epoch."""

    def __init__(self, trainer: str, fix: str, factor: float = EXPLOSION_FACTOR) -> None:
        self.trainer, self.fix, self.factor = trainer, fix, factor
        self.first: float | None = None
        self.warned = False

    def objective(self, value: torch.Tensor, where: str, detail: Callable[[], str] | None = None) -> None:
        total = float(value.detach().sum())  # the one sync per step
        if not math.isfinite(total):
            check_finite(self.trainer, where, objective=value, fix=self.fix, detail=detail() if detail else "")
        if self.first is None:
            self.first = abs(total)
        elif not self.warned and self.first > 0 and abs(total) > self.factor * self.first:
            self.warned = True
            warnings.warn(
                f"{self.trainer}: the training objective grew from {self.first:.4g} to {total:.4g} by {where} "
                f"(more than {self.factor:g}×); training is probably diverging. Fix: {self.fix}.",
                TrainingExplodingWarning,
                stacklevel=3,
            )

    def parameters(self, parameters: nn.Module | Iterable[torch.Tensor], where: str) -> None:
        check_finite(self.trainer, where, parameters=parameters, fix=self.fix)


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
