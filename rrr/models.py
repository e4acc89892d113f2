"""The paper's multilayer perceptron, optionally stacked so many copies train at once.

A ``StackedLinear`` holds ``S`` independent weight matrices and applies them with one
batched matmul. Because the RRR objective is a *sum* over examples and Adam is
element-wise, training a stack of ``S`` models on a summed loss is exactly ``S``
independent trainings — which is how the paper's 350 Iris-Cancer splits, λ sweeps and
seed replicates run in one process (see ``benchmarks/``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

from rrr.atomic import read_sidecar, write_with_sidecar


class StackedLinear(nn.Module):
    """``S`` independent affine maps; input (S, B, in) -> output (S, B, out)."""

    def __init__(self, in_features: int, out_features: int, n_models: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_models, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_models, 1, out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class MLP(nn.Module):
    """Fully connected ReLU network returning logits.

    With ``n_models=None`` it is an ordinary ``(B, D) -> (B, K)`` network. With
    ``n_models=S`` it is ``S`` independent networks mapping ``(S, B, D) -> (S, B, K)``.
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        hidden: Sequence[int] = (50, 30),
        n_models: int | None = None,
        init_std: float | None = 0.1,
    ) -> None:
        super().__init__()
        self.config = {
            "in_features": in_features,
            "n_classes": n_classes,
            "hidden": list(hidden),
            "n_models": n_models,
            "init_std": init_std,
        }
        sizes = [in_features, *hidden, n_classes]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b) if n_models is None else StackedLinear(a, b, n_models))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)
        self.reset_parameters()

    @property
    def n_models(self) -> int | None:
        return self.config["n_models"]

    def reset_parameters(self) -> None:
        """The reference's init: every weight *and bias* i.i.d. N(0, init_std²).

        ``init_std=None`` keeps PyTorch's default (Kaiming-uniform) initialization.
        """
        std = self.config["init_std"]
        for layer in self.net:
            if isinstance(layer, (nn.Linear, StackedLinear)):
                if std is None:
                    if isinstance(layer, nn.Linear):
                        layer.reset_parameters()
                    else:
                        bound = 1 / math.sqrt(layer.weight.shape[1])
                        nn.init.uniform_(layer.weight, -bound, bound)
                        nn.init.uniform_(layer.bias, -bound, bound)
                else:
                    nn.init.normal_(layer.weight, 0.0, std)
                    nn.init.normal_(layer.bias, 0.0, std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.from_first_layer(self.first_layer(x))

    def first_layer(self, x: torch.Tensor) -> torch.Tensor:
        """The first affine map's output h = x·W + b (``x`` flattened per example); ``forward`` = the rest on it."""
        batch_dims = 1 if self.n_models is None else 2
        return self.net[0](x.flatten(start_dim=batch_dims))

    def from_first_layer(self, h: torch.Tensor) -> torch.Tensor:
        """The logits from the first layer's output."""
        return self.net[1:](h)

    def first_layer_weight(self, columns: torch.Tensor | None = None) -> torch.Tensor:
        """The first layer's weight W laid out (…, in, out): (in, out) for one model, (S, in, out) stacked; with
        ``columns``, at those input features only. The input gradient is ∂/∂h · Wᵀ, the chain rule through h = x·W + b
        (what :func:`rrr.losses.loss_terms` uses to penalize an MLP's input gradient from the gradient at h)."""
        weight = self.net[0].weight  # (out, in) for nn.Linear, (S, in, out) stacked
        if columns is not None:
            weight = weight.index_select(-1 if self.n_models is None else 1, columns)
        return weight.t() if self.n_models is None else weight


def mlp(
    in_features: int,
    n_classes: int,
    hidden: Sequence[int] = (50, 30),
    *,
    n_models: int | None = None,
    seed: int | None = None,
    init_std: float | None = 0.1,
) -> MLP:
    """Build an MLP (default: the paper's 50-30 ReLU net with N(0, 0.1²) init), seeded."""
    if seed is None:
        return MLP(in_features, n_classes, hidden, n_models, init_std)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(in_features, n_classes, hidden, n_models, init_std)


def stack(models: Sequence[MLP]) -> MLP:
    """One stacked MLP whose model ``s`` is a copy of ``models[s]`` (all of one architecture)."""
    cfg = dict(models[0].config, n_models=len(models))
    stacked = MLP(cfg["in_features"], cfg["n_classes"], cfg["hidden"], len(models), cfg["init_std"])
    targets = [m for m in stacked.net if isinstance(m, StackedLinear)]
    for s, single in enumerate(models):
        sources = [m for m in single.net if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for t, src in zip(targets, sources):
                t.weight[s].copy_(src.weight.T)
                t.bias[s, 0].copy_(src.bias)
    return stacked


def mlp_stack(
    in_features: int,
    n_classes: int,
    seeds: Sequence[int],
    hidden: Sequence[int] = (50, 30),
    init_std: float | None = 0.1,
) -> MLP:
    """A stack of independently seeded MLPs: model ``s`` starts exactly as ``mlp(..., seed=seeds[s])``."""
    return stack([mlp(in_features, n_classes, hidden, seed=s, init_std=init_std) for s in seeds])


def unstack(model: MLP, index: int) -> MLP:
    """Copy model ``index`` out of a stacked MLP into an ordinary one."""
    cfg = dict(model.config, n_models=None)
    single = MLP(cfg["in_features"], cfg["n_classes"], cfg["hidden"], None, cfg["init_std"])
    stacked = [m for m in model.net if isinstance(m, StackedLinear)]
    plain = [m for m in single.net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for s, p in zip(stacked, plain):
            p.weight.copy_(s.weight[index].T)
            p.bias.copy_(s.bias[index, 0])
    return single


def smooth_mlp(
    in_features: int,
    n_classes: int,
    hidden: Sequence[int] = (10,),
    *,
    n_models: int | None = None,
    activation: Callable[[], nn.Module] = nn.Softplus,
    seed: int | None = None,
) -> nn.Sequential:
    """A fully connected network with a smooth activation (default softplus), PyTorch's default
    uniform(±1/√fan_in) initialization, optionally ``n_models`` stacked copies (S, B, D) -> (S, B, K)."""
    sizes = [in_features, *hidden, n_classes]
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            if n_models is None:
                layers.append(nn.Linear(a, b))
            else:
                layer = StackedLinear(a, b, n_models)
                bound = 1 / math.sqrt(a)
                nn.init.uniform_(layer.weight, -bound, bound)
                nn.init.uniform_(layer.bias, -bound, bound)
                layers.append(layer)
            if i < len(sizes) - 2:
                layers.append(activation())
    net = nn.Sequential(*layers)
    net.n_models = n_models  # type: ignore[attr-defined]  # read by rrr.accuracy / predict_proba
    return net


def concat_stacks(stacks: Sequence[nn.Module], into: nn.Module) -> nn.Module:
    """Copy the models of ``stacks`` in order into ``into``, a stack of their total size and the same architecture.

    For example S groups of L models, each group drawn from its own seed, trained together as one stack of S·L.
    """
    with torch.no_grad():
        for target, *sources in zip(into.parameters(), *(s.parameters() for s in stacks)):
            target.copy_(torch.cat(sources))
    return into


def save_tensors(path: str | Path, tensors: Mapping[str, torch.Tensor], **metadata: object) -> None:
    """Save a flat mapping of tensors (``torch.save``) and, beside it (``<path>.json``), JSON metadata and the saved
    file's ``sha256``.

    The tensors are saved from the CPU, so that a file written by a GPU run loads on a machine without one. Both are
    written atomically, the tensors first (so a sidecar always describes a complete file).
    :func:`load_tensors` reads them back without unpickling any code, after checking the checksum.
    """
    cpu = {name: t.cpu() for name, t in tensors.items()}  # a GPU-trained model loads anywhere (a no-op on the CPU)
    write_with_sidecar(path, lambda tmp: torch.save(cpu, tmp), json.loads(json.dumps(metadata, default=str)))


def load_tensors(path: str | Path, map_location: str | torch.device | None = None) -> tuple[dict, dict]:
    """The tensors and the metadata written by :func:`save_tensors`, loaded with ``weights_only=True``.

    Raises :class:`rrr.atomic.CorruptFileError` (naming the file, both checksums and the fix) when the file's bytes
    are not those its sidecar recorded; a sidecar without ``sha256`` (an older results tree) is accepted.
    """
    path = Path(path)
    meta = {k: v for k, v in read_sidecar(path).items() if k != "sha256"}  # what the caller saved
    return torch.load(path, map_location=map_location, weights_only=True), meta


def pack_states(states: Sequence[Mapping[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Several state dicts as one flat mapping, keys ``"<i>/<name>"`` (for :func:`save_tensors`)."""
    return {f"{i}/{name}": t for i, state in enumerate(states) for name, t in state.items()}


def unpack_states(tensors: Mapping[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    """Invert :func:`pack_states`."""
    states: dict[int, dict[str, torch.Tensor]] = {}
    for key, t in tensors.items():
        i, name = key.split("/", 1)
        states.setdefault(int(i), {})[name] = t
    return [states[i] for i in sorted(states)]


def save_model(model: MLP, path: str | Path, **metadata: object) -> None:
    """Save the state dict and, beside it (``<path>.json``), the config needed to rebuild it."""
    save_tensors(path, model.state_dict(), model=model.config, **metadata)


def load_model(path: str | Path) -> MLP:
    """Rebuild a model saved by :func:`save_model` (``weights_only=True``: no pickled code runs)."""
    state, meta = load_tensors(path)
    cfg = meta["model"]
    model = MLP(cfg["in_features"], cfg["n_classes"], cfg["hidden"], cfg["n_models"], cfg["init_std"])
    model.load_state_dict(state)
    return model
