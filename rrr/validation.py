"""Argument checks for the public entry points, run once per call (never inside a training loop).

Each check raises :class:`TypeError` or :class:`ValueError` with a message that names the
argument, what was expected and what was received, instead of PyTorch's own error (or none).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import torch
from torch import nn


def _shape(t: torch.Tensor | torch.Size | tuple) -> tuple:
    return tuple(t.shape) if isinstance(t, torch.Tensor) else tuple(t)


def model_dtype(model: nn.Module) -> torch.dtype | None:
    """The dtype of the model's first floating-point parameter (``None`` without one)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return None


def model_device(model: nn.Module) -> torch.device:
    """Where the model's parameters live (the CPU for a model without parameters): the library puts data there."""
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def check_tensor(name: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}.")
    return value


def check_examples(name: str, x: torch.Tensor, batch_dims: int = 1) -> None:
    """``x`` has at least one example (a non-empty batch)."""
    if x.dim() < batch_dims or x.numel() == 0:
        raise ValueError(f"{name} holds no examples (shape {_shape(x)}); pass a batch of at least one.")


def check_input_dtype(name: str, x: torch.Tensor, model: nn.Module | Iterable[nn.Module]) -> None:
    """A floating ``x`` has the dtype of the model's parameters (integer pixels are converted by the caller)."""
    if not x.is_floating_point():
        return
    for m in [model] if isinstance(model, nn.Module) else model:
        dtype = model_dtype(m)
        if dtype is not None and dtype != x.dtype:
            raise TypeError(
                f"{name} is {x.dtype} but the model's parameters are {dtype}; convert one to the other "
                f"(e.g. {name}.to({dtype}) or model.to({x.dtype}))."
            )


def check_labels(name: str, y: torch.Tensor, batch_shape: tuple | torch.Size | None = None) -> None:
    """Integer class indices ≥ 0, of shape ``batch_shape`` when given."""
    if y.is_floating_point() or y.is_complex():
        raise TypeError(f"{name} must hold integer class indices (e.g. torch.long), got {y.dtype}.")
    if batch_shape is not None and _shape(y) != _shape(batch_shape):
        raise ValueError(f"{name} must have shape {_shape(batch_shape)} (one label per example), got {_shape(y)}.")
    if y.numel() and y.dtype != torch.bool and int(y.min()) < 0:
        raise ValueError(f"{name} must hold class indices ≥ 0, got {int(y.min())}.")


def check_label_shape(name: str, y: torch.Tensor, x: torch.Tensor, x_name: str = "x") -> None:
    """``y`` holds one label per example of ``x``: its shape is ``x``'s leading (batch) dimensions."""
    if y.dim() == 0 or y.dim() >= x.dim() or _shape(x)[: y.dim()] != _shape(y):
        raise ValueError(
            f"{name} must have one label per example of {x_name}, i.e. {x_name}'s leading shape, got {name} of "
            f"shape {_shape(y)} for {x_name} of shape {_shape(x)}."
        )


def check_mask(mask: torch.Tensor, shape: tuple | torch.Size, per_model: tuple | torch.Size | None = None) -> None:
    """The annotation mask has one model's input ``shape`` (N, ...) or, for a stack, ``per_model`` (S, N, ...)."""
    if mask.is_complex():
        raise TypeError(f"mask must be boolean or real (weighted annotations), got {mask.dtype}.")
    if _shape(mask) == _shape(shape) or (per_model is not None and _shape(mask) == _shape(per_model)):
        return
    if per_model is None:
        raise ValueError(f"mask must have the shape of x, {_shape(shape)}, got {_shape(mask)}.")
    raise ValueError(
        f"mask must have shape {_shape(shape)} (shared by the stacked models) or {_shape(per_model)} "
        f"(one per model), got {_shape(mask)}."
    )


def check_nonnegative(name: str, value: object) -> None:
    """A number, or a tensor / sequence of numbers, every one finite and ≥ 0."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        bad = not (0 <= value < float("inf"))
    else:
        try:
            t = torch.as_tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name} must be a number or a sequence of numbers, got {type(value).__name__}.") from None
        bad = not bool(torch.isfinite(t).all() and (t >= 0).all())
    if bad:
        raise ValueError(f"{name} must be finite and ≥ 0, got {value!r}.")


def check_count(name: str, value: object, minimum: int = 1) -> None:
    """An integer ≥ ``minimum`` (batch sizes, epochs, rounds)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}.")


def check_choice(name: str, value: object, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
