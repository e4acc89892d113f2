"""Simultaneous find-another-explanation (thesis App. C; "local independence training").

Sequential find-another-explanation fails once the annotation mask saturates (every
feature has been important somewhere). Instead, train ``n`` models *jointly* and
penalize, at every input, the squared cosine similarity of each pair's input gradients:

    L = Σ_m CE_m + λ Σ_{i<j} Σ_n cos²(∇_x f_i(x_n), ∇_x f_j(x_n)),
    cos²(a, b) = (a·b)² / (‖a‖² ‖b‖² + 1e-6)

with CE_m a minibatch mean and f the binary log-odds log p̂₁ − log p̂₀ (the defaults of
``dtak/local-independence-public``, reference §6: λ = 0.01, Adam 1e-3, batch 256, 50 epochs).
The penalty is minimized by orthogonal decision boundaries and is soft near orthogonality.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rrr.explanations import GRADIENT_KINDS, GradientKind, explained_output
from rrr.progress import Progress, ProgressCallback
from rrr.training import ArrayLike, DivergenceGuard, accuracy, as_tensor
from rrr.validation import (
    check_choice,
    check_count,
    check_examples,
    check_input_dtype,
    check_label_shape,
    check_labels,
    check_nonnegative,
    model_device,
)

COS_EPS = 1e-6
GRADIENTS = ("log_odds", *(k for k in GRADIENT_KINDS if k not in ("log_prob", "prob", "loss")))  # no target needed


@dataclass
class DiverseHistory:
    """Per epoch: each model's mean cross-entropy (n,), the mean cos² over pairs and examples, and
    each model's train accuracy (n,)."""

    cross_entropy: list = field(default_factory=list)
    overlap: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)


def cosine_sq(a: torch.Tensor, b: torch.Tensor, eps: float = COS_EPS) -> torch.Tensor:
    """(a·b)² / (‖a‖²‖b‖² + eps) over the last dimension."""
    return (a * b).sum(-1).pow(2) / (a.pow(2).sum(-1) * b.pow(2).sum(-1) + eps)


def model_gradients(
    model: nn.Module,
    x: torch.Tensor,
    gradient: GradientKind | str = "log_odds",
    *,
    create_graph: bool = False,
) -> torch.Tensor:
    """∇_x of one model's explained output, flattened to (N, D).

    ``gradient="log_odds"`` is the binary log-odds log p̂₁ − log p̂₀ (two classes only);
    any :data:`rrr.GRADIENT_KINDS` without a target (``sum_log_prob``, ``max_log_prob``,
    ``max_prob``) also works.
    """
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        output = _explained(F.log_softmax(model(x), dim=-1), gradient)
        (grads,) = torch.autograd.grad(output, x, create_graph=create_graph)
    return grads.flatten(start_dim=1)


def _explained(log_probs: torch.Tensor, gradient: GradientKind | str) -> torch.Tensor:
    """The summed scalar whose input gradient is compared (see :func:`model_gradients`)."""
    if gradient != "log_odds":
        return explained_output(log_probs, gradient)  # type: ignore[arg-type]
    if log_probs.shape[-1] != 2:
        raise ValueError(f"gradient='log_odds' needs 2 classes, the model has {log_probs.shape[-1]}.")
    return (log_probs[..., 1] - log_probs[..., 0]).sum()


def gradient_cosines(
    models: Sequence[nn.Module],
    x: ArrayLike,
    gradient: GradientKind | str = "log_odds",
    mask: ArrayLike | None = None,
) -> np.ndarray:
    """Signed cosine similarity of input gradients for every pair i<j: shape (n_pairs, N).

    ``mask`` (D,) or (N, D) keeps only some input dimensions (e.g. the disentangled latents).
    """
    x_t = as_tensor(x)
    grads = [model_gradients(m, x_t, gradient) for m in models]
    if mask is not None:
        m = as_tensor(mask).to(grads[0].dtype).flatten(start_dim=-len(x_t.shape[1:]))
        grads = [g * m for g in grads]
    rows = []
    for a, b in itertools.combinations(grads, 2):
        rows.append(((a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp(min=1e-30)).numpy())
    return np.stack(rows) if rows else np.zeros((0, len(x_t)))


def overlap_penalty(grads: Sequence[torch.Tensor]) -> torch.Tensor:
    """Σ_{i<j} Σ_n cos²(g_i[n], g_j[n]) for per-model gradients of shape (N, D)."""
    total = grads[0].new_zeros(())
    for a, b in itertools.combinations(grads, 2):
        total = total + cosine_sq(a, b).sum()
    return total


def train_diverse_models(
    models: Sequence[nn.Module],
    x: ArrayLike,
    y: ArrayLike,
    *,
    lambda_overlap: float = 0.01,
    gradient: GradientKind | str = "log_odds",
    mask: ArrayLike | None = None,
    epochs: int = 50,
    batch_size: int = 256,
    lr: float = 1e-3,
    shuffle: bool = True,
    seed: int = 0,
    callback: ProgressCallback | None = None,
) -> tuple[list[nn.Module], DiverseHistory]:
    """Train ``models`` jointly (one Adam optimizer) so that they are accurate for different reasons.

    Each model maps ``x`` (N, ...) to logits (N, K). The loss is the sum of the models'
    batch-mean cross-entropies plus ``lambda_overlap`` times the summed pairwise cos² of
    their input gradients (:func:`overlap_penalty`). ``mask`` (broadcastable to one
    example's shape) restricts the gradients to some input dimensions before comparing
    them — e.g. the disentangled latent factors of an autoencoder. With one model, or
    ``lambda_overlap=0``, this is ordinary independent training.

    Arguments are checked once (``TypeError``/``ValueError`` naming the argument). Raises
    :class:`rrr.TrainingDivergedError` when the objective (every step) or the parameters (after
    every epoch) stop being finite, and warns once if the objective explodes (see :func:`rrr.fit`).
    ``callback`` gets a :class:`rrr.progress.Progress` after each epoch (terms and accuracy: mean over models).
    """
    models = list(models)
    x_t, y_t = as_tensor(x), as_tensor(y)
    m_t = None if mask is None else as_tensor(mask)
    _validate(models, x_t, y_t, m_t, lambda_overlap, gradient, epochs, batch_size)
    device = model_device(models[0])  # the data follow the models (CUDA models train on the GPU)
    x_t, y_t = x_t.to(device), y_t.long().to(device)
    m_t = None if m_t is None else m_t.to(x_t.dtype if x_t.is_floating_point() else torch.float32).to(device)
    n = len(y_t)
    batch_size = min(batch_size, n)
    params = [p for m in models for p in m.parameters()]
    optimizer = torch.optim.Adam(params, lr=lr)
    generator = torch.Generator().manual_seed(seed)
    history = DiverseHistory()
    guard = DivergenceGuard("rrr.train_diverse_models", "lower lr or lambda_overlap")
    for m in models:
        m.train()
    n_batches, start = -(-n // batch_size), time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
        ce_sum, overlap_sum = np.zeros(len(models)), 0.0
        for b, idx in enumerate(order.split(batch_size)):
            xb, yb = x_t[idx], y_t[idx]
            if not xb.is_floating_point():
                xb = xb.to(torch.get_default_dtype())
            xb = xb.detach().requires_grad_(lambda_overlap > 0 and len(models) > 1)
            losses, grads = [], []
            for m in models:
                log_probs = F.log_softmax(m(xb), dim=-1)
                losses.append(F.nll_loss(log_probs, yb))
                if xb.requires_grad:
                    (g,) = torch.autograd.grad(_explained(log_probs, gradient), xb, create_graph=True)
                    g = g if m_t is None else g * m_t
                    grads.append(g.flatten(start_dim=1))
            overlap = overlap_penalty(grads) if grads else xb.new_zeros(())
            total = torch.stack(losses).sum() + lambda_overlap * overlap
            guard.objective(total, f"epoch {epoch + 1}, minibatch {b + 1}")
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            ce_sum += np.array([loss.item() for loss in losses]) * len(idx)
            overlap_sum += overlap.item()
        guard.parameters(params, f"the end of epoch {epoch + 1} (after its last step)")
        n_pairs = max(1, len(models) * (len(models) - 1) // 2)
        history.cross_entropy.append(ce_sum / n)
        history.overlap.append(overlap_sum / (n * n_pairs))
        history.train_accuracy.append(np.array([accuracy(m, x_t, y_t) for m in models]))
        if callback is not None:
            terms = {"cross_entropy": float(np.mean(history.cross_entropy[-1])), "overlap": history.overlap[-1]}
            callback(Progress("train_diverse_models", (epoch + 1) * n_batches, epochs * n_batches, epoch + 1, epochs,
                              terms, float(np.mean(history.train_accuracy[-1])), time.perf_counter() - start))
    for m in models:
        m.eval()
    return models, history


def _validate(
    models: list[nn.Module],
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor | None,
    lambda_overlap: float,
    gradient: str,
    epochs: int,
    batch_size: int,
) -> None:
    """Check :func:`train_diverse_models`'s arguments once, before training."""
    if not models or not all(isinstance(m, nn.Module) for m in models):
        raise TypeError(f"models must be a non-empty sequence of torch.nn.Module, got {models!r}.")
    check_nonnegative("lambda_overlap", lambda_overlap)
    check_count("epochs", epochs, minimum=0)
    check_count("batch_size", batch_size)
    check_choice("gradient", gradient, GRADIENTS)
    check_input_dtype("x", x, models)
    if y.dim() != 1:
        raise ValueError(f"y must have shape (N,) (one label per example), got {tuple(y.shape)}.")
    check_label_shape("y", y, x)
    check_examples("x", x)
    check_labels("y", y)
    if mask is not None:
        try:
            fits = torch.broadcast_shapes(mask.shape, x.shape[1:]) == x.shape[1:]
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(
                f"mask must be broadcastable to one example's shape {tuple(x.shape[1:])}, got {tuple(mask.shape)}."
            )


def quadrant_grid(n: int = 50, extent: float = 10.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """App. C's 2D problem with one degree of boundary freedom: an n×n grid on [−extent, extent]²
    keeping the first (y = 1) and third (y = 0) quadrants, rows shuffled with ``seed``.

    Both a vertical and a horizontal boundary classify it perfectly (as does any in between).
    Returns X float32 (M, 2) and y int64 (M,).
    """
    ticks = np.linspace(-extent, extent, n)
    grid = np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)
    keep = (np.sign(grid[:, 0]) == np.sign(grid[:, 1])) & (grid[:, 0] != 0)
    X = grid[keep][np.random.default_rng(seed).permutation(int(keep.sum()))]
    return X.astype(np.float32), (X[:, 0] > 0).astype(np.int64)


def boundary_angle(grads: ArrayLike) -> np.ndarray:
    """Per-example angle in degrees of the gradient from the first axis, folded to [0, 90]:
    0 = only x₁ matters (a vertical boundary), 90 = only x₂, 45 = a diagonal boundary."""
    g = np.abs(np.asarray(grads, dtype=float))
    return np.degrees(np.arctan2(g[..., 1], g[..., 0]))


def feature_balance(grads: ArrayLike) -> np.ndarray:
    """Per-example min(|g₁|, |g₂|) / max(|g₁|, |g₂|) in [0, 1]: 1 = both features matter equally
    (a diagonal boundary), 0 = only one does (an axis-aligned boundary)."""
    g = np.abs(np.asarray(grads, dtype=float))
    return g.min(axis=-1) / np.maximum(g.max(axis=-1), 1e-30)
