"""Training the chapter's CNNs with or without a defense (reference §5.3–5.6).

Every defense is one objective on a minibatch, all with the base loss H = mean cross-entropy:

* ``normal`` — H;
* ``distilled`` — H at temperature T on a teacher's soft labels (the teacher: H at T on the
  one-hot labels); evaluated at T = 1;
* ``advtrain`` — (H(x) + H(x_adv))/2, x_adv = FGSM(ε) against the model's own predictions,
  gradients stopped through x_adv;
* ``doubleback`` — H + λ·½‖∂H/∂X‖² (double backpropagation, TF ``l2_loss`` convention);
* ``insensitive-cs`` — H + λ·½‖∂H_u/∂X‖², H_u the cross-entropy against uniform labels, i.e. the
  input gradient of (1/K)Σ_k log p̂ ("certainty insensitivity"): the "insensitive" defense as the
  thesis text describes it (the reference's flag ``--l2cs``);
* ``insensitive-dbl`` — H + λ·½‖∂H/∂X‖² at the insensitive runs' λ: the "insensitive" defense as the
  reference's launcher ``train_all.py`` trained it (flag ``--l2dbl``, spec §7 item 16), i.e. double
  backprop with a smaller λ;
* ``both`` — (H + λ·½‖∂H/∂X‖² + H(x_adv))/2 (double backprop and adversarial training).

Penalties are taken on the same training-mode graph (batch norm, dropout) as H, as in the
original TensorFlow code.

Every model is an independent run: :func:`model_seed` derives its initialisation and dropout seed
from (seed, defense, λ). :func:`train_cnn` can checkpoint and resume (a wall-time limit on a long
training costs at most ``checkpoint_every`` batches).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rrr.explanations import explained_output
from rrr.atomic import atomic_path
from rrr.numerics import check_finite
from rrr.progress import Progress, ProgressCallback

# The two readings of the reference's "insensitive" models (module docstring; README, adversarial chapter).
INSENSITIVE_VARIANTS = ("insensitive-cs", "insensitive-dbl")
DEFENSES = ("normal", "teacher", "distilled", "advtrain", *INSENSITIVE_VARIANTS, "doubleback", "both")


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
        double_backprop=lam if defense in ("doubleback", "both", "insensitive-dbl") else 0.0,
        insensitive=lam if defense == "insensitive-cs" else 0.0,
        advtrain_eps=advtrain_eps if defense in ("advtrain", "both") else 0.0,
        clip=tuple(clip),  # type: ignore[arg-type]
    )


def model_seed(seed: int, defense: str, lam: float = 0.0) -> int:
    """The initialisation and dropout seed of one model: a stable function of (seed, defense, λ).

    sha256 of a canonical string (not Python's per-process salted ``hash``), so every model — each
    defense, the distillation teacher and its student, every λ of a grid — starts from its own weights
    and dropout stream, and the same triple gives the same seed on any machine and Python.
    """
    canonical = f"rrr.adversarial|seed={int(seed)}|defense={defense}|lambda={float(lam)!r}"
    return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big") % 2**63


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


def _rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: Mapping, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"].cpu())
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"].cpu(), device)


def _sample_digest(t: torch.Tensor, rows: int = 64) -> str:
    """sha256 of a few evenly spaced rows: enough to tell one training set (or soft labels) from another."""
    sample = t[:: max(1, len(t) // rows)].detach().cpu().contiguous()
    return hashlib.sha256(sample.numpy().tobytes()).hexdigest()


# The training code itself: a checkpoint written before an edit of it is not resumed.
_CODE_DIGEST = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in ("defenses.py", "cnn.py"))
).hexdigest()


def training_fingerprint(model: nn.Module, x: torch.Tensor, y: torch.Tensor, objective: Objective,
                         **settings: object) -> dict:
    """What a checkpoint must match to be resumed: the training code, the model's architecture, the data, the
    objective and the training settings (a checkpoint left by another configuration or code is ignored)."""
    return {"code": _CODE_DIGEST, "model": repr(getattr(model, "config", type(model).__name__)),
            "x_shape": list(x.shape), "y_shape": list(y.shape), "x": _sample_digest(x), "y": _sample_digest(y),
            "objective": repr(describe(objective)), **{k: repr(v) for k, v in sorted(settings.items())}}


def save_checkpoint(path: str | Path, state: Mapping) -> None:
    """``torch.save`` to a temporary sibling, then rename: a kill mid-write leaves the previous checkpoint."""
    with atomic_path(path) as tmp:
        torch.save(dict(state), tmp)


def load_checkpoint(path: str | Path, fingerprint: Mapping) -> dict | None:
    """The checkpoint at ``path`` if there is one and it was written by the same training, else None."""
    path = Path(path)
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("fingerprint") != dict(fingerprint):
        print(f"ignoring {path}: written by another training (model, data, objective or settings differ)",
              flush=True)
        return None
    return state


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
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 2500,
    callback: ProgressCallback | None = None,
) -> list[dict]:
    """Adam on sequential, unshuffled minibatches (reference §5.3); returns a training log.

    ``y`` holds class indices, or probability rows (a teacher's soft labels). The log has one
    row per ``log_every`` batches (and the first and last): batch, loss, batch accuracy (vs argmax of
    ``y``), seconds since the start (before a resume included).

    With ``checkpoint`` (a path), the model, optimizer, random-number state, batch count and log are
    saved there (atomically) every ``checkpoint_every`` batches and at the end, and a later call with the
    same path, model, data, objective and settings resumes from it: the final weights, optimizer and RNG
    state are those of an uninterrupted run. The caller deletes the file once it has kept the model.
    ``callback`` gets a :class:`rrr.progress.Progress` with each log row (its loss and batch accuracy).
    """
    device = x.device
    torch.manual_seed(seed)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=adam_eps)
    n = len(x)
    epochs, total = batch_schedule(n, batches, batch_size)
    per_epoch = math.ceil(n / batch_size)
    hard_y = y if y.dtype == torch.long else y.argmax(-1)
    log: list[dict] = []
    step, offset = 0, 0.0  # offset: seconds spent before a resume
    fingerprint, resumed = None, None
    if checkpoint is not None:
        fingerprint = training_fingerprint(model, x, y, objective, batches=batches, batch_size=batch_size, lr=lr,
                                           adam_eps=adam_eps, seed=seed, log_every=log_every)
        state = load_checkpoint(checkpoint, fingerprint)
        if state is not None:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            _set_rng_state(state["rng"], device)
            step, log, offset = int(state["step"]), list(state["log"]), float(state["seconds"])
            resumed = step
            print(f"resuming from {checkpoint} at batch {step} of {total}", flush=True)
    start = time.perf_counter()

    def save() -> None:
        save_checkpoint(checkpoint, {  # type: ignore[arg-type]
            "fingerprint": fingerprint, "step": step, "log": log, "seconds": offset + time.perf_counter() - start,
            "model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": _rng_state(device)})

    first_epoch, done = divmod(step, per_epoch)  # batches are sequential: skip those already trained
    for epoch in range(first_epoch, epochs):
        for lo in range(done * batch_size if epoch == first_epoch else 0, n, batch_size):
            xb, yb = x[lo: lo + batch_size], y[lo: lo + batch_size]
            loss, logits = objective_loss(model, xb, yb, objective)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if step % log_every == 0 or step == 1 or step == total:
                check_finite("rrr.adversarial.defenses.train_cnn", f"batch {step}", objective=loss, fix="lower lr or λ")
                row = {"batch": step, "loss": loss.item(),
                       "batch_accuracy": (logits.argmax(-1) == hard_y[lo: lo + batch_size]).float().mean().item(),
                       "seconds": offset + time.perf_counter() - start}
                log.append(row)
                if on_log:
                    on_log(row)
                if callback is not None:
                    callback(Progress("train_cnn", step, total, epoch + 1, epochs, {"loss": row["loss"]},
                                      row["batch_accuracy"], row["seconds"]))
            if checkpoint is not None and step % checkpoint_every == 0 and step < total:
                save()
        # The loss is read on logging steps only (one sync each); the weights at every epoch's end and the last.
        check_finite("rrr.adversarial.defenses.train_cnn", f"the end of epoch {epoch + 1} (batch {step})",
                     parameters=model, fix="lower lr or λ")
    if checkpoint is not None and resumed != total:
        save()  # the finished state: a rerun of a multi-model job skips this model
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
