"""Several of the chapter's CNNs trained as one: one process, one forward/backward and one Adam step per batch.

:class:`CNNStack` holds k :class:`~rrr.adversarial.cnn.ReferenceCNN` of one architecture as stacked tensors (model
first) and runs them together with grouped convolutions (``groups=k``), batched matrix products and batch norm over
k×channels, so each model keeps its own weights, batch-norm running statistics and Adam state (Adam is elementwise,
so one Adam over the stacked tensors is k independent ones). Each model's dropout masks come from its own random
state (that of ``torch.manual_seed(model_seed)``, as :func:`~rrr.adversarial.defenses.train_cnn` seeds a lone
model), drawn by the same ``F.dropout`` call on the model's own slice, so the masks are the lone model's bit for bit.

:func:`train_stack` trains the stack with one :class:`~rrr.adversarial.defenses.Objective` per model (mixed
objectives in one stack) built from defenses.py's pieces: the summed loss's gradient in model i's weights is model
i's own loss gradient, and input gradients (double backprop, insensitivity, FGSM) of a summed loss split per model
because model i sees only its own input slice. A second (adversarial) forward runs for the adversarially trained
models only, so the others' batch-norm statistics and dropout streams advance as when trained alone. Checkpoints are
one file per model in train_cnn's format (a lone model's checkpoint, resumable by train_cnn and vice versa).

A stacked model equals the lone one up to float round-off (grouped convolutions and batched products sum in another
order than the lone kernels); the measured bound is in docs/adversarial.md ("Training a dataset's CNNs as one stack")
and tests/test_adversarial_stack.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from rrr.adversarial.cnn import BN_EPS, BN_MOMENTUM, ReferenceCNN
from rrr.adversarial.defenses import (
    Objective,
    batch_schedule,
    load_checkpoint,
    predicted_labels,
    save_checkpoint,
    soft_cross_entropy,
    training_fingerprint,
)
from rrr.explanations import explained_output
from rrr.numerics import check_finite


def _model_rng(seed: int, device: torch.device) -> dict:
    """The random state a lone model's training starts from (``torch.manual_seed(seed)``), without touching ours."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        state = {"cpu": torch.get_rng_state()}
        if device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(device)
    return state


class CNNStack(torch.nn.Module):
    """k reference CNNs of one architecture as stacked parameters; ``forward`` maps (k, N, side²) to (k, N, K)."""

    def __init__(self, models: Sequence[ReferenceCNN]):
        super().__init__()
        if not models:
            raise ValueError("CNNStack needs at least one model")
        configs = {repr(m.config) for m in models}
        if len(configs) != 1:
            raise ValueError(f"CNNStack needs models of one architecture; got configs {sorted(configs)}")
        self.config = dict(models[0].config)
        self.k, self.side = len(models), self.config["side"]
        states = [m.state_dict() for m in models]
        self.names = [n for n, _ in models[0].named_parameters()]
        self.buffer_names = [n for n in states[0] if n not in self.names and not n.endswith("num_batches_tracked")]
        self.params = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.stack([s[n] for s in states]).clone()) for n in self.names])
        for j, n in enumerate(self.buffer_names):
            self.register_buffer(f"buf{j}", torch.stack([s[n] for s in states]).clone())
        self.rng: list[dict] = []

    def p(self, name: str) -> torch.Tensor:
        return self.params[self.names.index(name)]

    def b(self, name: str) -> torch.Tensor:
        return getattr(self, f"buf{self.buffer_names.index(name)}")

    def seed_dropout(self, seeds: Sequence[int]) -> None:
        """Give model i the random state of ``torch.manual_seed(seeds[i])`` for its dropout masks."""
        if len(seeds) != self.k:
            raise ValueError(f"seed_dropout needs one seed per model ({self.k}); got {len(seeds)}")
        device = self.params[0].device
        self.rng = [_model_rng(int(s), device) for s in seeds]

    def _dropout(self, h: torch.Tensor, models: list[int]) -> torch.Tensor:
        """Dropout of h (N × k'·F, model-major features), model i's mask drawn from its own random state by the lone
        model's call (``F.dropout`` of an (N, F) tensor): p = 0.5 scales by exactly 2, so h · (mask · 2) is the lone
        (h · mask) · 2 bit for bit, on the CPU and on CUDA's fused kernel alike."""
        if not self.training:
            return h
        if len(self.rng) != self.k:
            raise RuntimeError("CNNStack in training mode needs seed_dropout(seeds) first (one dropout seed per model)")
        device = h.device
        ones = torch.ones(h.shape[0], h.shape[1] // len(models), device=device, dtype=h.dtype)
        noise = []
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            for i in models:
                torch.set_rng_state(self.rng[i]["cpu"])
                if device.type == "cuda":
                    torch.cuda.set_rng_state(self.rng[i]["cuda"], device)
                noise.append(F.dropout(ones, 0.5, True))
                self.rng[i] = {"cpu": torch.get_rng_state()}
                if device.type == "cuda":
                    self.rng[i]["cuda"] = torch.cuda.get_rng_state(device)
        return h * torch.cat(noise, 1)

    def _bn(self, h: torch.Tensor, name: str, idx: torch.Tensor | None, beta_shape: tuple) -> torch.Tensor:
        """Batch norm of every model's channels at once (h: N × k'·C × ...), each model's running statistics."""
        mean, var = self.b(f"{name}.norm.running_mean"), self.b(f"{name}.norm.running_var")
        beta = self.p(f"{name}.beta")
        if idx is not None:
            mean, var, beta = mean[idx], var[idx], beta[idx]
        m, v = mean.reshape(-1), var.reshape(-1)
        out = F.batch_norm(h, m, v, None, None, self.training, BN_MOMENTUM, BN_EPS)
        if idx is not None and self.training:  # write the subset's statistics back; .data: training-mode batch norm's
            # backward does not read the running statistics, whose version the first forward's graph has saved
            self.b(f"{name}.norm.running_mean").data[idx] = m.view_as(mean)
            self.b(f"{name}.norm.running_var").data[idx] = v.view_as(var)
        return out + beta.reshape(beta_shape)

    def forward(self, x: torch.Tensor, models: Sequence[int] | None = None) -> torch.Tensor:
        """Logits (k', N, K) of ``models`` (default all; k' of them) on their inputs x (k', N, side²)."""
        models = list(range(self.k)) if models is None else list(models)
        idx = None if models == list(range(self.k)) else torch.tensor(models, device=x.device)
        k, n = len(models), x.shape[1]

        def w(name: str) -> torch.Tensor:
            return self.p(name) if idx is None else self.p(name)[idx]

        h = x.reshape(k, n, self.side, self.side).transpose(0, 1)  # N × k × side × side: one channel per model
        if self.config["lcn"]:
            h = self._lcn(h)
        c1 = w("features.0.weight")
        h = F.conv2d(h, c1.reshape(-1, *c1.shape[2:]), padding=2, groups=k)
        h = F.max_pool2d(F.relu(self._bn(h, "features.1", idx, (1, -1, 1, 1))), 2)
        c2 = w("features.4.weight")
        h = F.conv2d(h, c2.reshape(-1, *c2.shape[2:]), padding=2, groups=k)
        h = F.max_pool2d(F.relu(self._bn(h, "features.5", idx, (1, -1, 1, 1))), 2)
        # W·hᵀ (k × 1024 × N), not h·Wᵀ: the weight's gradient then comes out in the weight's own layout (no copy of
        # the k × 1024 × 64·s² gradient, the largest tensor of the step).
        h = torch.bmm(w("classifier.0.weight"), h.reshape(n, k, -1).permute(1, 2, 0))
        h = self._bn(h.permute(2, 0, 1).reshape(n, -1), "classifier.1", idx, (1, -1))  # N × k·1024, model-major
        h = self._dropout(F.relu(h), models).reshape(n, k, -1).transpose(0, 1)
        return torch.baddbmm(w("classifier.4.bias").unsqueeze(1), h, w("classifier.4.weight").transpose(1, 2))

    def _lcn(self, h: torch.Tensor) -> torch.Tensor:
        """LeCun LCN per model (h: N × k × s × s), the batch-wide mean of local std taken per model."""
        kernel = self.b("lcn.kernel")[0]
        k = h.shape[1]
        pad = kernel.shape[-1] // 2
        kk = kernel.expand(k, *kernel.shape[1:])
        centered = h - F.conv2d(h, kk, padding=pad, groups=k)
        local_std = F.conv2d(centered**2, kk, padding=pad, groups=k).sqrt()
        per_model = local_std.mean(dim=(0, 2, 3), keepdim=True)
        return centered / torch.maximum(per_model, local_std).clamp_min(1e-4)

    def lone_state(self, i: int) -> dict:
        """Model i's ``state_dict`` as a lone :class:`ReferenceCNN` (loadable by ``load_state_dict``)."""
        state = {n: p[i].detach().clone() for n, p in zip(self.names, self.params)}
        for n in self.buffer_names:
            state[n] = self.b(n)[i].clone()
        template = ReferenceCNN(**self.config).state_dict()
        for n, v in template.items():
            state.setdefault(n, v)  # num_batches_tracked: unused (momentum is fixed)
        return {n: state[n] for n in template}

    def load_lone_state(self, i: int, state: dict) -> None:
        with torch.no_grad():
            for n, p in zip(self.names, self.params):
                p[i] = state[n]
            for n in self.buffer_names:
                self.b(n)[i] = state[n]

    def lone(self, i: int) -> ReferenceCNN:
        """Model i as a lone :class:`ReferenceCNN` (evaluation mode, on the stack's device)."""
        model = ReferenceCNN(**self.config).to(self.params[0].device)
        model.load_state_dict(self.lone_state(i))
        return model.eval()


def stack_loss(stack: CNNStack, x: torch.Tensor, ys: Sequence[torch.Tensor], objectives: Sequence[Objective]
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(sum of the models' losses, each model's loss (k,), clean logits (k, N, K)): model i's objective on the
    shared minibatch ``x`` and its targets ``ys[i]``, as :func:`~rrr.adversarial.defenses.objective_loss` defines it."""
    k, n = stack.k, len(x)
    needs_grad = any(o.double_backprop or o.insensitive or o.advtrain_eps for o in objectives)
    xs = x.detach().unsqueeze(0).expand(k, *x.shape).clone().requires_grad_(needs_grad)
    logits = stack(xs)
    losses = [soft_cross_entropy(F.log_softmax(logits[i] / o.temperature, -1), ys[i]) for i, o in enumerate(objectives)]
    log_probs = [F.log_softmax(logits[i], -1) for i in range(k)]
    for field, output in (("double_backprop", "loss"), ("insensitive", "sum_log_prob")):
        chosen = [i for i, o in enumerate(objectives) if getattr(o, field)]
        if not chosen:
            continue
        if field == "double_backprop" and any(ys[i].dtype != torch.long for i in chosen):
            raise ValueError("double backprop needs hard labels")
        outs = [explained_output(log_probs[i], output, ys[i]) if output == "loss"
                else explained_output(log_probs[i], output) for i in chosen]
        (g,) = torch.autograd.grad(sum(outs), xs, create_graph=True)
        for i in chosen:
            scale = n if field == "double_backprop" else n * logits.shape[-1]
            losses[i] = losses[i] + getattr(objectives[i], field) * (0.5 * (g[i] / scale).pow(2).sum())
    adv = [i for i, o in enumerate(objectives) if o.advtrain_eps]
    if adv:
        fgsm = [soft_cross_entropy(log_probs[i], predicted_labels(logits[i].detach())) for i in adv]
        (g,) = torch.autograd.grad(sum(fgsm), xs, retain_graph=True)
        x_adv = torch.stack([(xs[i] + objectives[i].advtrain_eps * g[i].sign()).clamp(*objectives[i].clip)
                             for i in adv]).detach()
        adv_logits = stack(x_adv, adv)
        for j, i in enumerate(adv):
            adv_loss = soft_cross_entropy(F.log_softmax(adv_logits[j] / objectives[i].temperature, -1), ys[i])
            losses[i] = (losses[i] + adv_loss) / 2
    per_model = torch.stack(losses)
    return per_model.sum(), per_model, logits


def _lone_adam_state(stack: CNNStack, optimizer: torch.optim.Optimizer, i: int, lone: ReferenceCNN) -> dict:
    """Model i's slice of the stacked Adam as a lone model's ``torch.optim.Adam.state_dict()``."""
    group = optimizer.param_groups[0]
    lone_opt = torch.optim.Adam(lone.parameters(), lr=group["lr"], eps=group["eps"])
    for p, q in zip(stack.params, lone.parameters()):
        if p in optimizer.state:
            s = optimizer.state[p]
            lone_opt.state[q] = {"step": s["step"].clone(), "exp_avg": s["exp_avg"][i].clone(),
                                 "exp_avg_sq": s["exp_avg_sq"][i].clone()}
    return lone_opt.state_dict()


def _load_lone_adam(stack: CNNStack, optimizer: torch.optim.Optimizer, i: int, saved: dict) -> None:
    lone = ReferenceCNN(**stack.config).to(stack.params[0].device)
    group = optimizer.param_groups[0]
    lone_opt = torch.optim.Adam(lone.parameters(), lr=group["lr"], eps=group["eps"])
    lone_opt.load_state_dict(saved)
    for p, q in zip(stack.params, lone.parameters()):
        if q not in lone_opt.state:
            continue
        s = optimizer.state[p]
        if not s:
            s.update(step=lone_opt.state[q]["step"].clone(), exp_avg=torch.zeros_like(p),
                     exp_avg_sq=torch.zeros_like(p))
        with torch.no_grad():
            s["exp_avg"][i] = lone_opt.state[q]["exp_avg"]
            s["exp_avg_sq"][i] = lone_opt.state[q]["exp_avg_sq"]


def train_stack(
    models: Sequence[ReferenceCNN],
    x: torch.Tensor,
    ys: Sequence[torch.Tensor],
    objectives: Sequence[Objective],
    *,
    seeds: Sequence[int],
    batches: int,
    batch_size: int = 256,
    lr: float = 2e-4,
    adam_eps: float = 1e-4,
    log_every: int = 100,
    on_log: Callable[[int, dict], None] | None = None,
    checkpoints: Sequence[str | Path] | None = None,
    checkpoint_every: int = 2500,
) -> list[list[dict]]:
    """Train ``models`` together, model i as ``train_cnn(models[i], x, ys[i], objectives[i], seed=seeds[i], ...)``
    would alone (to round-off); the trained weights are written back into ``models`` (left in evaluation mode).
    Returns one training log per model (train_cnn's rows). ``checkpoints``: one path per model, in train_cnn's
    format and fingerprint; a rerun resumes from them when every model's checkpoint is at the same batch."""
    k = len(models)
    for name, seq in (("ys", ys), ("objectives", objectives), ("seeds", seeds)) + (
            (("checkpoints", checkpoints),) if checkpoints is not None else ()):
        if len(seq) != k:
            raise ValueError(f"train_stack: {name} has {len(seq)} entries for {k} models; give one per model")
    if any(len(y) != len(x) for y in ys):
        raise ValueError("train_stack: every ys[i] needs one target per row of x")
    device = x.device
    stack = CNNStack(models).to(device)
    stack.seed_dropout(seeds)
    stack.train()
    optimizer = torch.optim.Adam(stack.parameters(), lr=lr, eps=adam_eps)
    n = len(x)
    epochs, total = batch_schedule(n, batches, batch_size)
    per_epoch = math.ceil(n / batch_size)
    hard = [y if y.dtype == torch.long else y.argmax(-1) for y in ys]
    logs: list[list[dict]] = [[] for _ in range(k)]
    step, offset = 0, 0.0
    fingerprints = None
    resumed = None
    if checkpoints is not None:
        fingerprints = [training_fingerprint(m, x, y, o, batches=batches, batch_size=batch_size, lr=lr,
                                             adam_eps=adam_eps, seed=s, log_every=log_every)
                        for m, y, o, s in zip(models, ys, objectives, seeds)]
        states = [load_checkpoint(c, f) for c, f in zip(checkpoints, fingerprints)]
        steps = {None if s is None else int(s["step"]) for s in states}
        if len(steps) == 1 and None not in steps:
            step = steps.pop()
            for i, s in enumerate(states):
                stack.load_lone_state(i, s["model"])
                _load_lone_adam(stack, optimizer, i, s["optimizer"])
                stack.rng[i] = {key: v.cpu() for key, v in s["rng"].items()}
                logs[i] = list(s["log"])
            offset = max(float(s["seconds"]) for s in states)
            resumed = step
            print(f"resuming a stack of {k} from its checkpoints at batch {step} of {total}", flush=True)
        elif any(s is not None for s in states):
            print("ignoring the stack's checkpoints: not every model has one at the same batch", flush=True)
    start = time.perf_counter()

    def save() -> None:
        seconds = offset + time.perf_counter() - start
        for i, path in enumerate(checkpoints):  # type: ignore[arg-type]
            lone = stack.lone(i).train()
            save_checkpoint(path, {"fingerprint": fingerprints[i], "step": step, "log": logs[i], "seconds": seconds,
                                   "model": lone.state_dict(), "optimizer": _lone_adam_state(stack, optimizer, i, lone),
                                   "rng": stack.rng[i]})

    first_epoch, done = divmod(step, per_epoch)
    for epoch in range(first_epoch, epochs):
        for lo in range(done * batch_size if epoch == first_epoch else 0, n, batch_size):
            xb = x[lo: lo + batch_size]
            total_loss, per_model, logits = stack_loss(stack, xb, [y[lo: lo + batch_size] for y in ys], objectives)
            optimizer.zero_grad(set_to_none=True)
            total_loss.backward()
            optimizer.step()
            step += 1
            if step % log_every == 0 or step == 1 or step == total:
                check_finite("rrr.adversarial.stack.train_stack", f"batch {step}", objective=total_loss,
                             fix="lower lr or λ")
                seconds = offset + time.perf_counter() - start
                acc = (logits.argmax(-1) == torch.stack([h[lo: lo + batch_size] for h in hard])).float().mean(-1)
                for i in range(k):
                    row = {"batch": step, "loss": per_model[i].item(), "batch_accuracy": acc[i].item(),
                           "seconds": seconds}
                    logs[i].append(row)
                    if on_log:
                        on_log(i, row)
            if checkpoints is not None and step % checkpoint_every == 0 and step < total:
                save()
        check_finite("rrr.adversarial.stack.train_stack", f"the end of epoch {epoch + 1} (batch {step})",
                     parameters=stack, fix="lower lr or λ")
    if checkpoints is not None and resumed != total:
        save()
    for i, m in enumerate(models):
        m.load_state_dict(stack.lone_state(i))
        m.eval()
    return logs
