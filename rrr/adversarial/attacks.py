"""The chapter's attacks (reference §5.7): FGSM, TGSM, iterated TGSM and JSMA.

FGSM, TGSM and the iterated TGSM come from the Adversarial Robustness Toolbox (ART), whose
definitions match the reference's: x' = clip(x ± ε·sign(∇_x CE)), with sign(0) = 0, so a model
whose loss gradient underflows to zero (defensive distillation) yields no perturbation at all.
The iterated TGSM is ART's basic iterative method with an L∞ ball too large to ever bind
(ε = step × iterations), i.e. repeated unprojected TGSM steps as in `generate_tgsm_grids.py`.

JSMA is our own: ART's ``SaliencyMapMethod`` ranks single features by the target gradient
alone, whereas the reference used cleverhans 2.0's pairwise saliency map on the logits
Jacobian (target-class gradient α vs the other classes' summed gradient β), reproduced here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from art.attacks.evasion import BasicIterativeMethod, FastGradientMethod
from art.estimators.classification import PyTorchClassifier
from torch import nn

from rrr.adversarial.defenses import predict_logits

ATTACK_BATCH = 256


def art_classifier(
    model: nn.Module, clip: tuple[float, float], input_shape: tuple[int, ...], n_classes: int = 10
) -> PyTorchClassifier:
    """Wrap a logits model for ART (softmax cross-entropy loss, evaluation mode)."""
    device = next(model.parameters()).device
    return PyTorchClassifier(
        model=model.eval(), loss=nn.CrossEntropyLoss(), input_shape=tuple(input_shape), nb_classes=n_classes,
        clip_values=(float(clip[0]), float(clip[1])), device_type="gpu" if device.type == "cuda" else "cpu",
    )


def _np(a: torch.Tensor | np.ndarray) -> np.ndarray:
    return a.detach().cpu().numpy().astype(np.float32) if isinstance(a, torch.Tensor) else np.asarray(a, np.float32)


def gradient_sign_attack(
    model: nn.Module, x: np.ndarray, labels: np.ndarray, eps: float, clip: tuple[float, float], *, targeted: bool
) -> np.ndarray:
    """FGSM (``targeted=False``, ``labels`` = true labels) or TGSM (``targeted=True``, ``labels`` =
    targets): one signed-gradient step of size ``eps`` on the cross-entropy, clipped to ``clip``."""
    x = _np(x)
    if eps == 0:
        return x.copy()
    attack = FastGradientMethod(art_classifier(model, clip, x.shape[1:]), norm=np.inf, eps=eps, targeted=targeted,
                                batch_size=ATTACK_BATCH)
    return attack.generate(x, y=np.asarray(labels))


def fgsm(model: nn.Module, x: np.ndarray, y: np.ndarray, eps: float, clip: tuple[float, float]) -> np.ndarray:
    """Fast gradient sign method against the true labels ``y``."""
    return gradient_sign_attack(model, x, y, eps, clip, targeted=False)


def tgsm(model: nn.Module, x: np.ndarray, target: np.ndarray, eps: float, clip: tuple[float, float]) -> np.ndarray:
    """Targeted gradient sign method: a step down the cross-entropy of ``target``."""
    return gradient_sign_attack(model, x, target, eps, clip, targeted=True)


def iterated_tgsm(
    model: nn.Module, x: np.ndarray, target: np.ndarray, *, step: float, iterations: int, clip: tuple[float, float]
) -> np.ndarray:
    """``iterations`` TGSM steps of size ``step`` (x ← clip(x − step·sign ∇CE(target))), no ε-ball."""
    x = _np(x)
    attack = BasicIterativeMethod(art_classifier(model, clip, x.shape[1:]), eps=step * iterations, eps_step=step,
                                  max_iter=iterations, targeted=True, batch_size=ATTACK_BATCH, verbose=False)
    return attack.generate(x, y=np.asarray(target))


def _logit_jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(B, K, D) Jacobian of the logits with respect to the inputs."""
    x = x.detach().requires_grad_(True)
    logits = model(x)
    rows = [torch.autograd.grad(logits[:, k].sum(), x, retain_graph=True)[0] for k in range(logits.shape[1])]
    return torch.stack(rows, 1)


def _best_pairs(
    alpha: torch.Tensor, beta: torch.Tensor, domain: torch.Tensor, increase: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """cleverhans 2.0 ``saliency_map``: per example the feature pair (p, q) maximising
    −(α_p+α_q)(β_p+β_q) subject to α_p+α_q > 0 and β_p+β_q < 0 (signs flipped when decreasing)."""
    coef = 1.0 if increase else -1.0
    alpha = torch.where(domain, alpha, -coef * alpha.abs().amax(1, keepdim=True))
    beta = torch.where(domain, beta, coef * beta.abs().amax(1, keepdim=True))
    # (B, D, D) pair sums: every pass over them is 40 MB for a chunk of 16 MNIST images, so they are reused in place.
    a = alpha[:, None, :] + alpha[:, :, None]
    b = beta[:, None, :] + beta[:, :, None]
    invalid = ((a > 0) & (b < 0) if increase else (a < 0) & (b > 0)).logical_not_()
    scores = a.mul_(b)  # −(α_p+α_q)(β_p+β_q)·coef is −a·b increasing, a·b decreasing: the same floats as a product
    if increase:
        scores.neg_()
    scores.masked_fill_(invalid, 0.0)
    scores.diagonal(dim1=1, dim2=2).zero_()
    best = scores.flatten(1).argmax(1)
    n = alpha.shape[1]
    return best % n, torch.div(best, n, rounding_mode="floor")


@torch.no_grad()
def _predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model(x).argmax(-1)


def jsma(
    model: nn.Module,
    x: np.ndarray | torch.Tensor,
    target: np.ndarray | torch.Tensor,
    *,
    theta: float = 1.0,
    gamma: float = 0.25,
    clip: tuple[float, float] = (0.0, 1.0),
    chunk: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    """Jacobian-based saliency map attack (Papernot et al. 2016; cleverhans 2.0 ``jsma``).

    Each iteration moves the best pair of still-unused features by ``theta`` (clipped), until the
    model predicts ``target`` or ⌊D·γ/2⌋ iterations have run. Returns the examples and, per
    example, whether the model predicts the target at the end.
    """
    model.eval()
    device = next(model.parameters()).device
    x = torch.as_tensor(_np(x), device=device).clone()
    target = torch.as_tensor(np.asarray(target), device=device).long()
    lo, hi = clip
    increase = theta > 0
    max_iters = math.floor(x.shape[1] * gamma / 2)
    domain = x < hi if increase else x > lo
    active = _predict(model, x) != target
    for _ in range(max_iters):
        active &= domain.sum(1) > 1
        if not active.any():
            break
        for idx in active.nonzero().squeeze(1).split(chunk):
            jac = _logit_jacobian(model, x[idx])
            alpha = jac[torch.arange(len(idx)), target[idx]]
            p, q = _best_pairs(alpha, jac.sum(1) - alpha, domain[idx], increase)
            for feature in (p, q):
                x[idx, feature] = (x[idx, feature] + theta).clamp(lo, hi)
                domain[idx, feature] = False
        idx = active.nonzero().squeeze(1)
        active[idx] = _predict(model, x[idx]) != target[idx]
    success = _predict(model, x) == target
    return x.cpu().numpy(), success.cpu().numpy()


def transfer_accuracies(
    models: Mapping[str, nn.Module],
    x: np.ndarray,
    y: np.ndarray,
    epsilons: Sequence[float],
    clip: tuple[float, float],
    *,
    targeted: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy of every model (vs the true labels) on examples made from every model's gradients.

    FGSM when ``targeted`` is False; TGSM with target (y+1) mod 10 otherwise. All ε of one source
    model go through ART in one call (a per-example ε). Returns ``accuracy[evaluated, source, eps]``,
    the boolean ``correct[evaluated, source, eps, example]`` and ``unperturbed[source, eps, example]``
    (the example came back identical to the clean one).
    """
    names = list(models)
    device = next(next(iter(models.values())).parameters()).device
    x = _np(x)
    n, n_eps = len(x), len(epsilons)
    labels = np.tile((y + 1) % 10 if targeted else y, n_eps)
    eps = np.repeat(np.asarray(epsilons, np.float32), n)[:, None]
    correct = np.zeros((len(names), len(names), n_eps, n), bool)
    unperturbed = np.zeros((len(names), n_eps, n), bool)
    for j, source in enumerate(names):
        attack = FastGradientMethod(art_classifier(models[source], clip, x.shape[1:]), norm=np.inf, eps=eps,
                                    eps_step=np.full_like(eps, 0.1), targeted=targeted,
                                    batch_size=len(eps))  # eps_step: unused (minimal=False)
        x_adv = attack.generate(np.tile(x, (n_eps, 1)), y=labels)
        unperturbed[j] = (x_adv == np.tile(x, (n_eps, 1))).all(1).reshape(n_eps, n)
        xt = torch.as_tensor(x_adv, device=device)
        for i, evaluated in enumerate(names):
            pred = predict_logits(models[evaluated], xt).argmax(-1).cpu().numpy().reshape(n_eps, n)
            correct[i, j] = pred == y
    return correct.mean(-1), correct, unperturbed
