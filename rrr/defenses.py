"""Training the chapter's CNNs with or without a defense (reference §5.3–5.6).

Every defense is one objective on a minibatch, all with the base loss H = mean cross-entropy:

* ``normal`` — H;
* ``distilled`` — H at temperature T on a teacher's soft labels (the teacher: H at T on the
  one-hot labels); evaluated at T = 1;
* ``advtrain`` — (H(x) + H(x_adv))/2, x_adv = FGSM(ε) against the model's own predictions,
  gradients stopped through x_adv;
* ``doubleback`` — H + λ·½‖∂H/∂X‖² (double backpropagation, TF ``l2_loss`` convention);
* ``insensitive`` — H + λ·½‖∂H_u/∂X‖², H_u the cross-entropy against uniform labels, i.e. the
  input gradient of (1/K)Σ_k log p̂ ("certainty insensitivity");
* ``both`` — (H + λ·½‖∂H/∂X‖² + H(x_adv))/2 (double backprop and adversarial training).

Penalties are taken on the same training-mode graph (batch norm, dropout) as H, as in the
original TensorFlow code.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rrr.explanations import explained_output

DEFENSES = ("normal", "teacher", "distilled", "advtrain", "insensitive", "doubleback", "both")


@dataclass(frozen=True)
class Objective:
    """What one training run minimises (see the module docstring)."""

    temperature: float = 1.0
    double_backprop: float = 0.0  # λ of ½‖∂H/∂X‖²
    insensitive: float = 0.0  # λ of ½‖∂H_u/∂X‖²
    advtrain_eps: float = 0.0  # FGSM ε of adversarial training (0 = off)
    clip: tuple[float, float] = (0.0, 1.0)  # valid pixel range of x_adv


def objective_for(defense: str, *, lam: float = 0.0, temperature: float = 50.0, advtrain_eps: float = 0.3,
                  clip: tuple[float, float] = (0.0, 1.0)) -> Objective:
    """The :class:`Objective` of a named defense (``lam`` is its penalty's λ where it has one)."""
    if defense not in DEFENSES:
        raise ValueError(f"unknown defense {defense!r}; choose one of {DEFENSES}")
    return Objective(
        temperature=temperature if defense in ("teacher", "distilled") else 1.0,
        double_backprop=lam if defense in ("doubleback", "both") else 0.0,
        insensitive=lam if defense == "insensitive" else 0.0,
        advtrain_eps=advtrain_eps if defense in ("advtrain", "both") else 0.0,
        clip=tuple(clip),  # type: ignore[arg-type]
    )


def soft_cross_entropy(log_probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy against hard (class indices) or soft (probability rows) targets."""
    if targets.dtype == torch.long:
        return F.nll_loss(log_probs, targets)
    return -(targets * log_probs).sum(-1).mean()


def double_backprop_penalty(log_probs: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """½‖∂H/∂X‖² for H the batch-mean cross-entropy (differentiable in the parameters)."""
    (g,) = torch.autograd.grad(explained_output(log_probs, "loss", y), x, create_graph=True)
    return 0.5 * (g / len(x)).pow(2).sum()


def insensitivity_penalty(log_probs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """½‖∂H_u/∂X‖², H_u = −(1/(KN)) Σ_n Σ_k log p̂_nk (mean cross-entropy vs uniform labels)."""
    (g,) = torch.autograd.grad(explained_output(log_probs, "sum_log_prob"), x, create_graph=True)
    n, k = log_probs.shape
    return 0.5 * (g / (n * k)).pow(2).sum()


def predicted_labels(logits: torch.Tensor) -> torch.Tensor:
    """One-hot argmax predictions, ties split evenly (cleverhans' FGSM without labels)."""
    top = (logits == logits.max(-1, keepdim=True).values).to(logits.dtype)
    return top / top.sum(-1, keepdim=True)


def objective_loss(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, objective: Objective
) -> tuple[torch.Tensor, torch.Tensor]:
    """The minibatch loss of ``objective`` and the clean logits (model in training mode)."""
    hard = y.dtype == torch.long
    x = x.detach().requires_grad_(bool(objective.double_backprop or objective.insensitive or objective.advtrain_eps))
    logits = model(x)
    loss = soft_cross_entropy(F.log_softmax(logits / objective.temperature, -1), y)
    if objective.double_backprop or objective.insensitive:
        log_probs = F.log_softmax(logits, -1)
        if objective.double_backprop:
            if not hard:
                raise ValueError("double backprop needs hard labels")
            loss = loss + objective.double_backprop * double_backprop_penalty(log_probs, x, y)
        if objective.insensitive:
            loss = loss + objective.insensitive * insensitivity_penalty(log_probs, x)
    if objective.advtrain_eps:
        fgsm_loss = soft_cross_entropy(F.log_softmax(logits, -1), predicted_labels(logits.detach()))
        (g,) = torch.autograd.grad(fgsm_loss, x, retain_graph=True)
        x_adv = (x + objective.advtrain_eps * g.sign()).clamp(*objective.clip).detach()
        adv_loss = soft_cross_entropy(F.log_softmax(model(x_adv) / objective.temperature, -1), y)
        loss = (loss + adv_loss) / 2
    return loss, logits


def batch_schedule(n: int, batches: int, batch_size: int) -> tuple[int, int]:
    """(epochs, total batches): whole unshuffled epochs until ``batches`` is reached, as the
    reference does (num_epochs = ceil(batches / (N/256)); MNIST 15000 → 70 × 215 = 15050)."""
    per_epoch = math.ceil(n / batch_size)
    epochs = math.ceil(batches / (n / batch_size))
    return epochs, epochs * per_epoch


def train_cnn(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    objective: Objective,
    *,
    batches: int,
    batch_size: int = 256,
    lr: float = 2e-4,
    adam_eps: float = 1e-4,
    seed: int = 0,
    log_every: int = 100,
    on_log: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Adam on sequential, unshuffled minibatches (reference §5.3); returns a training log.

    ``y`` holds class indices, or probability rows (a teacher's soft labels). The log has one
    row per ``log_every`` batches: batch, loss, batch accuracy (vs argmax of ``y``), seconds.
    """
    torch.manual_seed(seed)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=adam_eps)
    n = len(x)
    epochs, _ = batch_schedule(n, batches, batch_size)
    hard_y = y if y.dtype == torch.long else y.argmax(-1)
    log, step, start = [], 0, time.perf_counter()
    for _ in range(epochs):
        for lo in range(0, n, batch_size):
            xb, yb = x[lo: lo + batch_size], y[lo: lo + batch_size]
            loss, logits = objective_loss(model, xb, yb, objective)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if step % log_every == 0 or step == 1:
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss became {loss.item()} at batch {step}")
                row = {"batch": step, "loss": loss.item(),
                       "batch_accuracy": (logits.argmax(-1) == hard_y[lo: lo + batch_size]).float().mean().item(),
                       "seconds": time.perf_counter() - start}
                log.append(row)
                if on_log:
                    on_log(row)
    model.eval()
    return log


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, chunk: int = 1000) -> torch.Tensor:
    """Evaluation-mode logits in chunks (batch norm uses its running statistics)."""
    model.eval()
    return torch.cat([model(x[i: i + chunk]) for i in range(0, len(x), chunk)])


def soft_labels(teacher: nn.Module, x: torch.Tensor, temperature: float) -> torch.Tensor:
    """Distillation targets: softmax(teacher logits / T) on the whole training set."""
    return F.softmax(predict_logits(teacher, x) / temperature, -1)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor | np.ndarray) -> float:
    y = torch.as_tensor(np.asarray(y), device=x.device)
    return (predict_logits(model, x).argmax(-1) == y).float().mean().item()


def describe(objective: Objective) -> dict:
    return asdict(objective)
