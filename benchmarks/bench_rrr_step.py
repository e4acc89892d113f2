"""Cost of one RRR training step relative to a plain cross-entropy step (Decoy-MNIST MLP).

One MLP, its mask a swatch in one corner (so the step differentiates the 16 annotated pixels only, from the first
layer). Both are measured in the same process on the same data, interleaved in rounds, and the
ratio of medians is reported: double backpropagation's theoretical floor is about 2x.
The RRR step is also timed on the unchecked internal path that ``rrr.fit``'s loop calls,
which measures what ``rrr_loss``'s argument checks cost per step.

Then the step the paper's Decoy MNIST experiments run most: a stack of 9 MLPs (shared raw 784-pixel inputs,
per-model masks, batch 256, Adam) on one thread. First what each change to it bought (:func:`changes_bought`, ratios
in this process; :func:`selection_bought` and :func:`first_layer_bought` for masks of each model's own, as
find-another-explanation's), then its efficiency, in the state workflow jobs run in (freed memory kept). Its FLOPs on
one step, double backward included, are counted with ``torch.utils.flop_counter``'s per-op formulas
(:class:`CountFlops`); the achieved GFLOP/s is reported as a fraction of what the same thread reaches on a large
matmul (1024³ float32), in the same process, beside the time of its largest products alone
(:func:`first_layer_products`).

    python benchmarks/bench_rrr_step.py [--steps 200] [--rounds 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from unittest import mock

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

import rrr
import rrr.fused
from rrr.allocator import reuse_freed_memory
from rrr.losses import l2_params, objective_terms
from rrr.models import MLP


class _WholeInputGradient(torch.nn.Module):
    """The paper's MLP without its first layer in view (not a :class:`rrr.fused.FirstLayerModel`): the step takes
    the whole input gradient from autograd, as for any model (every step before the first-layer paths)."""

    def __init__(self, mlp: MLP) -> None:
        super().__init__()
        self.mlp, self.n_models = mlp, mlp.n_models

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x)


def decoy_stack(n_models: int, whole_input_gradient: bool = False) -> torch.nn.Module:
    """The stack of Decoy-MNIST MLPs the benchmarks train (seeds 0..S-1)."""
    model = rrr.mlp_stack(784, 10, seeds=range(n_models))
    return _WholeInputGradient(model) if whole_input_gradient else model


def swatch_masks(n_models: int, batch: int, g: torch.Generator) -> torch.Tensor:
    """Decoy MNIST's annotations: each example's 4×4 swatch in one of the four corners (64 pixels in a minibatch),
    one mask broadcast to the stack, as ``rrr.fit`` passes Figure 9's and the λ1 sweep's."""
    mask = torch.zeros(batch, 28, 28, dtype=torch.bool)
    corners = torch.randint(0, 2, (batch, 2), generator=g) * 24
    for i, (row, col) in enumerate(corners.tolist()):
        mask[i, row : row + 4, col : col + 4] = True
    return mask.reshape(batch, 784).expand(n_models, batch, 784)


FAE_DENSITY = 0.013  # pixels per image annotated in paper-scale Decoy-MNIST round 3 (θ0 ∪ θ1 ∪ θ2's masks)


def model_masks(n_models: int, batch: int, g: torch.Generator, density: float = FAE_DENSITY) -> torch.Tensor:
    """A mask of each model's own, (models, examples, 784), as find-another-explanation's rounds have (each model's
    union of its predecessors' largest-gradient pixels): here random, ``density`` of the pixels."""
    return torch.rand(n_models, batch, 784, generator=g) < density


def _select(grads: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A ⊙ G as rrr.fused._weighted took it before 2026-11-27: a boolean A by ``torch.where`` (same numbers)."""
    return torch.where(mask, grads, 0.0) if mask.dtype == torch.bool else grads * mask.to(grads.dtype)


def _float_copy(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A as a factor of G as rrr.losses took it before the first-layer path: a boolean A copied to G's dtype (the same
    products as reading its bytes)."""
    return mask.to(dtype)


def stacked_batch(
    n_models: int, batch: int, density: float | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One minibatch of raw pixels and labels shared by the stack (as ``rrr.fit`` passes them), its mask (Decoy
    MNIST's swatches, or with ``density`` a mask per model: :func:`model_masks`) and λ1 = 1000 per model."""
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (batch, 784), generator=g).float()
    y = torch.randint(0, 10, (batch,), generator=g)
    mask = swatch_masks(n_models, batch, g) if density is None else model_masks(n_models, batch, g, density)
    return x.expand(n_models, *x.shape), y.expand(n_models, *y.shape), mask, torch.full((n_models,), 1000.0)


def _unchecked(model, x, y, mask, l1, l2):  # what rrr.fit's inner loop calls (a swatch mask is broadcast: shared)
    shared = mask is not None and mask.stride(0) == 0
    return objective_terms(model, x, y, mask, l1=l1, l2=l2, penalize=mask is not None, fused=True,
                           shared_mask=shared).total


def time_steps(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None,
               l1: float, steps: int, loss_fn=rrr.rrr_loss) -> float:
    """Seconds per Adam step on the RRR objective (mask=None: plain cross-entropy).

    With ``loss_fn=_unchecked`` this is rrr.fit's step: backward goes to the parameters only."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    params = list(model.parameters()) if loss_fn is _unchecked else None
    start = time.perf_counter()
    for _ in range(steps):
        loss = loss_fn(model, x, y, mask, l1=l1, l2=1e-4)
        opt.zero_grad(set_to_none=True)
        loss.backward(inputs=params)
        opt.step()
    return (time.perf_counter() - start) / steps


class CountFlops(TorchDispatchMode):
    """FLOPs of every op run inside it, by torch.utils.flop_counter's per-op formulas (matmuls and convolutions).

    FlopCounterMode itself cannot be used here: its module hooks fail on autograd.grad of an input, which the RRR
    penalty calls."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.flops += formula(*args, **kwargs, out_val=out)
        return out


def median_seconds(run: Callable[[], object], reps: int, warm_up: int = 1) -> float:
    """Median seconds of ``reps`` calls of ``run``, after ``warm_up`` untimed ones."""
    for _ in range(warm_up):
        run()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_gflops(n: int = 1024, reps: int = 20) -> float:
    """GFLOP/s of an n³ float32 matmul on the current thread count (median of ``reps``)."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    return 2 * n**3 / median_seconds(lambda: a @ b, reps) / 1e9


def first_layer_products(n_models: int = 9, batch: int = 256, reps: int = 20) -> dict[str, float]:
    """Seconds and GFLOP/s of the five products of a stacked Decoy-MNIST RRR step that have a (models, examples,
    784) operand, each timed alone on this thread (median of ``reps``) and summed: the first layer forward, the input
    gradient G = ∂/∂h · Wᵀ, G's two backward products, and the first weight's gradient. They are most of the step's
    arithmetic; their hidden dimension (50) keeps them thin, below a square matmul's rate, which bounds the step's
    efficiency from above whatever the rest costs."""
    g = torch.Generator().manual_seed(0)
    s, n, d, h = n_models, batch, 784, 50
    x = torch.rand(n, d, generator=g).expand(s, n, d)
    weight, bias = torch.randn(s, d, h, generator=g), torch.randn(s, 1, h, generator=g)
    grad_hidden, grads = torch.randn(s, n, h, generator=g), torch.randn(s, n, d, generator=g)
    products = (
        lambda: torch.baddbmm(bias, x, weight),  # h = x·W + b
        lambda: torch.bmm(grad_hidden, weight.transpose(1, 2)),  # G = ∂/∂h · Wᵀ
        lambda: torch.bmm(grads, weight),  # ∂/∂(∂/∂h) of the penalty
        lambda: torch.bmm(grad_hidden.transpose(1, 2), grads),  # ∂/∂W of the penalty, through G
        lambda: torch.bmm(x.transpose(1, 2), grad_hidden),  # ∂/∂W through h
    )
    seconds = sum(median_seconds(product, reps) for product in products)
    flops = len(products) * 2 * s * n * d * h
    return {"seconds": seconds, "flops": flops, "gflops": flops / seconds / 1e9}


def stacked_step_efficiency(
    n_models: int = 9, batch: int = 256, steps: int = 30, whole_input_gradient: bool = False,
    per_model_masks: bool = False,
) -> dict[str, float]:
    """Seconds, FLOPs and GFLOP/s of one RRR step of a stack of Decoy-MNIST MLPs, and its fraction of matmul's rate.
    ``per_model_masks``: find-another-explanation's case (:func:`model_masks`), else Decoy MNIST's swatches."""
    xs, ys, mask, l1 = stacked_batch(n_models, batch, FAE_DENSITY if per_model_masks else None)
    model = decoy_stack(n_models, whole_input_gradient)
    with CountFlops() as counter:
        time_steps(model, xs, ys, mask, l1, 1, _unchecked)
    flops = counter.flops
    time_steps(model, xs, ys, mask, l1, 5, _unchecked)  # warm-up
    seconds = statistics.median(time_steps(model, xs, ys, mask, l1, steps, _unchecked) for _ in range(3))
    peak = matmul_gflops()
    achieved = flops / seconds / 1e9
    return {"seconds": seconds, "flops": flops, "gflops": achieved, "matmul_gflops": peak, "fraction": achieved / peak}


def _before(model, x, y, mask, l1, l2):
    """The step's objective as rrr 0.2.0 built it: the right-reasons sum by autograd's composite of elementwise ops
    (a float copy of the boolean mask, product, square, sum), and whether to penalize decided from the minibatch's
    mask on every step. The baseline of :func:`changes_bought`."""
    x = x.detach().requires_grad_(True)
    log_probs = F.log_softmax(model(x), dim=-1)
    right_answers = F.nll_loss(log_probs.flatten(0, -2), y.flatten(), reduction="none").reshape(y.shape).sum(-1)
    if not bool(mask.any()):
        return right_answers.sum()
    (grads,) = torch.autograd.grad(log_probs.sum(), x, create_graph=True)
    right_reasons = (grads * mask.to(grads.dtype)).pow(2).reshape(*y.shape, -1).sum(dim=(-1, -2))
    return (right_answers + l1 * right_reasons).sum() + l2 * l2_params(model)


def _fused(model, x, y, mask, l1, l2):
    return objective_terms(model, x, y, mask, l1=l1, l2=l2, fused=True).total


def changes_bought(
    n_models: int = 9, batch: int = 256, steps: int = 20, rounds: int = 5, names: Sequence[str] | None = None
) -> dict[str, float]:
    """Seconds per stacked Decoy-MNIST step of each change to the step, added one at a time, interleaved in rounds
    in this process (median): 0.2.0's step, + the fused right-reasons sum, + backward to the parameters only (not to
    the input copy), + the annotation flag computed once per fit, + the input gradient at the annotated pixels only,
    from the first layer (rrr.fit's step for a shared mask). The first four give the same parameters bit for bit, the
    last to round-off (tests/test_losses.py, tests/test_training.py). All with A copied to floats, as when these
    changes were made (:func:`first_layer_bought` measures the changes after them)."""
    xs, ys, mask, l1 = stacked_batch(n_models, batch)
    variants = {  # name: (objective, backward to the parameters only, the whole input gradient)
        "0.2.0 step": (_before, False, True),
        "+ fused right-reasons sum": (_fused, False, True),
        "+ backward to parameters only": (_fused, True, True),
        "+ annotation flag once per fit": (_unchecked, True, True),
        "+ annotated pixels only": (_unchecked, True, False),
    }
    variants = {k: v for k, v in variants.items() if names is None or k in names}
    times: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(rounds + 1):  # round 0 warms up
        for name, (objective, to_params, whole) in variants.items():
            model = decoy_stack(n_models, whole)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            params = list(model.parameters()) if to_params else None
            start = time.perf_counter()
            with mock.patch.object(rrr.fused, "_mask_factor", _float_copy):
                for _ in range(steps):
                    loss = objective(model, xs, ys, mask, l1, 1e-4)
                    opt.zero_grad(set_to_none=True)
                    loss.backward(inputs=params)
                    opt.step()
            if r:
                times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(t) for name, t in times.items()}


def selection_bought(
    density: float, n_models: int = 9, batch: int = 256, steps: int = 20, rounds: int = 5
) -> dict[str, float]:
    """Seconds per stacked step with a mask per model (which keeps the whole input gradient), from autograd's input
    gradient as before the first-layer path, A ⊙ G by ``torch.where`` (:func:`_select`, before) and by a product,
    interleaved in rounds in this process (median). Both give the same parameters (tests/test_losses.py).
    ``torch.where``'s time grows with how mixed the mask is, the product's does not: find-another-explanation's sparse
    masks gain nothing, dense ones do."""
    xs, ys, mask, l1 = stacked_batch(n_models, batch, density)
    model = decoy_stack(n_models, whole_input_gradient=True)
    times: dict[str, list[float]] = {"torch.where selection": [], "product": []}
    for r in range(rounds + 1):  # round 0 warms up
        for name in times:
            weighted = _select if name == "torch.where selection" else rrr.fused._weighted
            with mock.patch.object(rrr.fused, "_weighted", weighted):
                seconds = time_steps(model, xs, ys, mask, l1, steps, _unchecked)
            if r:
                times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}


def first_layer_bought(
    density: float, n_models: int = 9, batch: int = 256, steps: int = 20, rounds: int = 5
) -> dict[str, float]:
    """Seconds per stacked step with a mask per model (find-another-explanation's), interleaved in rounds in this
    process (median): autograd's input gradient with A copied to floats (before), the same with A's bytes as the
    factor, and the input gradient from the first layer, masked in place (:class:`rrr.fused.FirstLayerSquares`,
    today). All three give the same parameters bit for bit (tests/test_losses.py)."""
    xs, ys, mask, l1 = stacked_batch(n_models, batch, density)
    variants = {  # name: (autograd's input gradient, A as a factor)
        "autograd, A copied to floats": (True, _float_copy),
        "autograd, A's bytes": (True, rrr.fused._mask_factor),
        "first layer, in place (today)": (False, rrr.fused._mask_factor),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(rounds + 1):  # round 0 warms up
        for name, (autograd, factor) in variants.items():
            model = decoy_stack(n_models, whole_input_gradient=autograd)
            with mock.patch.object(rrr.fused, "_mask_factor", factor):
                seconds = time_steps(model, xs, ys, mask, l1, steps, _unchecked)
            if r:
                times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}


def _print_ratios(title: str, seconds: dict[str, float], baseline: str, baseline_name: str) -> None:
    print(title)
    for name, s in seconds.items():
        print(f"  {name:<34} {s * 1e3:6.1f} ms  ratio to {baseline_name} {s / seconds[baseline]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (args.batch, 784), generator=g).float()
    y = torch.randint(0, 10, (args.batch,), generator=g)
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask.view(-1, 28, 28)[:, :4, :4] = True  # a swatch, as in Decoy MNIST
    plain_model, rrr_model = rrr.mlp(784, 10, seed=0), rrr.mlp(784, 10, seed=0)
    time_steps(plain_model, x, y, None, 0.0, 20)  # warm-up
    time_steps(rrr_model, x, y, mask, 1000.0, 20)
    plain, penalized, unchecked = [], [], []
    for _ in range(args.rounds):
        plain.append(time_steps(plain_model, x, y, None, 0.0, args.steps))
        penalized.append(time_steps(rrr_model, x, y, mask, 1000.0, args.steps))
        unchecked.append(time_steps(rrr_model, x, y, mask, 1000.0, args.steps, _unchecked))
    p, r, u = statistics.median(plain), statistics.median(penalized), statistics.median(unchecked)
    print(f"plain cross-entropy step: {p * 1e3:.3f} ms (median of {args.rounds} x {args.steps})")
    print(f"RRR step (double backprop): {r * 1e3:.3f} ms")
    print(f"ratio RRR / plain: {r / p:.2f}x  (goal <= 2.5x; floor ~2x)")
    print(f"RRR step without argument checks (rrr.fit's loop): {u * 1e3:.3f} ms; checked / unchecked: {r / u:.3f}x")
    torch.set_num_threads(1)
    bought = changes_bought()
    # The last change is process-wide and cannot be undone, so it is measured last, in the same process.
    if reuse_freed_memory():
        today = changes_bought(names=["+ annotated pixels only"])
        bought["+ freed memory kept (rrr.allocator)"] = today["+ annotated pixels only"]
    _print_ratios("stacked RRR step (9 Decoy-MNIST MLPs, one thread, median of 5 x 20 steps), each change added in "
                  "turn:", bought, "0.2.0 step", "the 0.2.0 step")
    for density in (FAE_DENSITY, 0.3):
        _print_ratios(f"stacked RRR step with a mask per model annotating {density:.1%} of the pixels, autograd's "
                      "input gradient, one thread, median of 5 x 20 steps:",
                      selection_bought(density), "torch.where selection", "torch.where")
    _print_ratios(f"stacked RRR step with a mask per model annotating {FAE_DENSITY:.1%} of the pixels, one thread, "
                  "median of 5 x 20 steps:",
                  first_layer_bought(FAE_DENSITY), "autograd, A copied to floats", "the float copy")
    for whole, per_model, what in ((True, False, "autograd's whole input gradient"),
                                   (False, False, "annotated pixels only"),
                                   (False, True, "a mask per model (find-another-explanation), from the first layer")):
        e = stacked_step_efficiency(whole_input_gradient=whole, per_model_masks=per_model)
        print(f"stacked RRR step, 9 Decoy-MNIST MLPs, one thread, {what}: {e['seconds'] * 1e3:.1f} ms, "
              f"{e['flops'] / 1e9:.2f} GFLOP -> {e['gflops']:.1f} GFLOP/s; a 1024³ matmul on the same thread: "
              f"{e['matmul_gflops']:.1f} GFLOP/s; fraction {e['fraction']:.2f} (goal >= 0.65)")
    products = first_layer_products()  # ``e`` is the loop's last step: find-another-explanation's
    print(f"  of which the five products with a (9, 256, 784) operand, timed alone: "
          f"{products['seconds'] * 1e3:.1f} ms, {products['flops'] / 1e9:.2f} GFLOP -> {products['gflops']:.1f} "
          f"GFLOP/s, fraction {products['gflops'] / e['matmul_gflops']:.2f}; the rest of the step (small products of "
          f"the 50- and 30-unit layers, elementwise passes, Adam): {(e['seconds'] - products['seconds']) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
