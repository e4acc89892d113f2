"""Argument checks for the public entry points, run once per call (never inside a training loop).

Each check raises :class:`TypeError` or :class:`ValueError` with a message that names the
argument, what was expected and what was received, instead of PyTorch's own error (or none).
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings
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


DEVICES = ("cpu", "cuda")


def resolve_device(name: str, key: str = "device") -> torch.device:
    """The configured device (config ``key``: 'cpu' or 'cuda'), checked at the start of a job: a clear error naming
    the key and the fix when it is neither, or when it is 'cuda' and torch sees no CUDA device."""
    if name not in DEVICES:
        raise ValueError(f"{key} is {name!r}; it must be one of {list(DEVICES)}.")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"{key} is 'cuda', but torch {torch.__version__} sees no CUDA device (CUDA build: "
            f"{torch.version.cuda or 'none'}). Run on a GPU node with a CUDA build of torch (README, "
            f"\"Training on a GPU\"), or set {key}: cpu (--config {key}=cpu)."
        )
    return torch.device(name)


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


def check_model(name: str, model: object) -> nn.Module:
    """``model`` is a ``torch.nn.Module`` (not ``None``, not a factory)."""
    if not isinstance(model, nn.Module):
        hint = " (a model factory? call it)" if callable(model) else ""
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}{hint}.")
    return model


def model_io(model: nn.Module) -> tuple[int | None, int | None]:
    """(input features per example, classes) of an MLP, or of a network whose first and last layers are linear (as
    :func:`rrr.mlp` builds them); ``None`` for what cannot be read off the model."""
    config = getattr(model, "config", None)
    if isinstance(config, dict) and "in_features" in config and "n_classes" in config:
        return int(config["in_features"]), int(config["n_classes"])
    children = list(model.children())
    first, last = (children[0], children[-1]) if children else (None, None)
    weight_in = getattr(first, "in_features", None) if isinstance(first, nn.Linear) else None
    weight_out = getattr(last, "out_features", None) if isinstance(last, nn.Linear) else None
    if first is not None and not isinstance(first, nn.Linear) and hasattr(first, "weight") and first.weight.dim() == 3:
        weight_in = first.weight.shape[1]  # a stacked linear layer, weight (S, in, out)
    if last is not None and not isinstance(last, nn.Linear) and hasattr(last, "weight") and last.weight.dim() == 3:
        weight_out = last.weight.shape[2]
    return weight_in, weight_out


def check_model_fits(model: nn.Module, x: torch.Tensor, y: torch.Tensor, x_name: str = "x", y_name: str = "y") -> None:
    """``x`` has the model's number of input features per example and ``y`` its class indices are < its number of
    outputs (checked where the model says them: :func:`model_io`)."""
    in_features, n_classes = model_io(model)
    per_example = _shape(x)[y.dim() :]
    if in_features is not None and math.prod(per_example) != in_features:
        raise ValueError(
            f"{x_name} has {math.prod(per_example)} features per example (shape {_shape(x)}) but the model takes "
            f"{in_features}; pass {x_name} of shape (N, {in_features}) (or its stack) or build the model with "
            f"in_features={math.prod(per_example)}."
        )
    if n_classes is not None and y.numel() and y.dtype != torch.bool and int(y.max()) >= n_classes:
        raise ValueError(
            f"{y_name} must hold class indices in [0, {n_classes}) for a model with {n_classes} outputs, got "
            f"{int(y.max())}; build the model with n_classes={int(y.max()) + 1} or relabel {y_name}."
        )


def check_finite_values(name: str, x: torch.Tensor) -> None:
    """Every entry of a floating ``x`` is finite (a NaN or inf input makes a NaN loss in silence)."""
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} holds {bad} NaN or infinite value(s) (shape {_shape(x)}); clean or drop them first.")


def check_mask_type(mask: object) -> None:
    """A mask is array-like (a tensor, a numpy array), not text or another object torch would misread."""
    if isinstance(mask, (str, bytes)) or (not isinstance(mask, torch.Tensor) and not hasattr(mask, "__array__")
                                           and not isinstance(mask, (list, tuple))):
        raise TypeError(
            f"mask must be a boolean or real tensor (or numpy array) of x's shape, got {type(mask).__name__}."
        )


MASK_IGNORED = (
    "{where}: a mask was given but every l1 is 0: the mask is ignored and the model trains on right answers only; "
    "pass l1=... (> 0) to penalize the annotated input gradients, or mask=None to train on right answers on purpose."
)


def all_zero(l1: object) -> bool:
    """Whether every λ1 in ``l1`` (a number, sequence or tensor, already checked ≥ 0) is 0."""
    if isinstance(l1, numbers.Real):
        return float(l1) == 0.0
    t = l1.detach() if isinstance(l1, torch.Tensor) else torch.as_tensor(l1, dtype=torch.float64)
    return bool((t == 0).all())


def warn_if_mask_ignored(where: str, mask: object, l1: object) -> bool:
    """Warn (``UserWarning`` naming ``l1``) when a ``mask`` meets λ1 = 0 everywhere: training would ignore it in
    silence. Returns whether it does; the warning points at the first caller outside the ``rrr`` package."""
    if mask is None or not all_zero(l1):
        return False
    warnings.warn(MASK_IGNORED.format(where=where), UserWarning, stacklevel=_outside_rrr())
    return True


def _outside_rrr() -> int:
    """The ``stacklevel`` of the first frame outside this package, as seen from a ``warnings.warn`` in the caller."""
    root = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(2), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(root + os.sep):
        frame, level = frame.f_back, level + 1
    return level
