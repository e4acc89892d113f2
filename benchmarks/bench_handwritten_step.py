"""How fast the stacked RRR step could be without autograd: find-another-explanation's step written out by hand.

Issue 14 asks the stacked Decoy-MNIST RRR step to reach 0.65 of a large matmul's rate; ``bench_rrr_step.py`` measures
0.49–0.52 for the step rrr.fit runs. This benchmark is the measurement behind the README's account of what would
reach it: the same step (9 stacked MLPs 784-50-30-10 with ReLU, shared raw inputs, a mask per model at 1.3% of the
pixels, batch 256, Adam, one thread) with every gradient of the objective (double backward included) written out as
batched products and elementwise passes, no autograd graph, in three forms interleaved in one process: by hand;
+ the first layer's two input-sided products as one wide product of the shared input with the nine weights side by
side; + Adam's fused CPU kernel. Each form's gradients are checked against autograd's (float32 round-off) before it
is timed. None of it is the library's step: it is one architecture's gradient written by hand, and its sums are not
autograd's (the parameters differ by round-off), which is why rrr keeps autograd's step.

    python benchmarks/bench_handwritten_step.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics

import torch

from bench_rrr_step import (
    FAE_DENSITY,
    _unchecked,
    decoy_stack,
    matmul_gflops,
    median_seconds,
    stacked_batch,
    stacked_step_efficiency,
)
from rrr.allocator import reuse_freed_memory
from rrr.losses import objective_terms
from rrr.models import MLP


def _first_layer(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, wide: bool) -> torch.Tensor:
    """x·W_s + b_s for every model s: S batched products, or one (N, in)·(in, S·out) product when ``wide``."""
    n_models, n_in, n_out = weight.shape
    if not wide:
        return torch.baddbmm(bias, x.expand(n_models, *x.shape), weight)
    side_by_side = weight.transpose(0, 1).reshape(n_in, n_models * n_out)
    return torch.addmm(bias.reshape(1, -1), x, side_by_side).view(len(x), n_models, n_out).transpose(0, 1).contiguous()


def _first_layer_weight_grad(x: torch.Tensor, grad: torch.Tensor, wide: bool) -> torch.Tensor:
    n_models, n, n_out = grad.shape
    if not wide:
        return torch.bmm(x.expand(n_models, *x.shape).transpose(1, 2), grad)
    per_example = grad.transpose(0, 1).reshape(n, n_models * n_out)
    return torch.mm(x.t(), per_example).view(-1, n_models, n_out).transpose(0, 1)


@torch.no_grad()
def handwritten_grads(
    model: MLP, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, l1: torch.Tensor, l2: float, wide: bool = False
) -> list[torch.Tensor]:
    """The gradients of Σ_s [CE_s + λ1_s Σ (A ⊙ ∂Σ_k log p̂_k/∂x)² + λ2 Σ θ²] with respect to a stacked ReLU MLP's
    (one hidden pair, 50 and 30 units, as the paper's) weights and biases, in ``model.parameters()``'s order. ``x``
    is (N, in), shared; ``mask`` (S, N, in) boolean; ``y`` (N,)."""
    (w1, b1), (w2, b2), (w3, b3) = ((layer.weight, layer.bias) for layer in model.net[::2])
    n_models, n_classes, n = w1.shape[0], w3.shape[-1], len(x)
    h1 = _first_layer(x, w1, b1, wide)
    on1, a1 = h1 > 0, h1.clamp_min(0)
    h2 = torch.baddbmm(b2, a1, w2)
    on2, a2 = h2 > 0, h2.clamp_min(0)
    probs = torch.softmax(torch.baddbmm(b3, a2, w3), dim=-1)
    # The input gradient of Σ_k log p̂_k: ∂/∂z = 1 − K·p̂, then back through the layers.
    g_z = 1 - n_classes * probs
    g_h2 = torch.bmm(g_z, w3.transpose(1, 2)).mul_(on2)
    g_h1 = torch.bmm(g_h2, w2.transpose(1, 2)).mul_(on1)
    grads = torch.bmm(g_h1, w1.transpose(1, 2)).mul_(mask.view(torch.uint8))
    # Backward of Σ_s λ1_s Σ (A ⊙ G)²: through G = ∂/∂h1 · W1ᵀ, the ReLU gates (constant) and ∂/∂z = 1 − K·p̂.
    d_grads = grads.mul_((2 * l1).view(-1, 1, 1))
    d_w1 = torch.bmm(d_grads.transpose(1, 2), g_h1)
    d_g_h1 = torch.bmm(d_grads, w1).mul_(on1)
    d_w2 = torch.bmm(d_g_h1.transpose(1, 2), g_h2)
    d_g_h2 = torch.bmm(d_g_h1, w2).mul_(on2)
    d_w3 = torch.bmm(d_g_h2.transpose(1, 2), g_z)
    d_probs = torch.bmm(d_g_h2, w3).mul_(-n_classes)
    d_z = probs * (d_probs - (d_probs * probs).sum(dim=-1, keepdim=True))
    # + the cross-entropy's p̂ − onehot(y), then ordinary backpropagation of ∂/∂z through the forward pass.
    d_z.add_(probs).scatter_add_(-1, y.view(1, n, 1).expand(n_models, n, 1), torch.full((n_models, n, 1), -1.0))
    d_w3 += torch.bmm(a2.transpose(1, 2), d_z)
    d_h2 = torch.bmm(d_z, w3.transpose(1, 2)).mul_(on2)
    d_w2 += torch.bmm(a1.transpose(1, 2), d_h2)
    d_h1 = torch.bmm(d_h2, w2.transpose(1, 2)).mul_(on1)
    d_w1 += _first_layer_weight_grad(x, d_h1, wide)
    result = [d_w1, d_h1.sum(1, keepdim=True), d_w2, d_h2.sum(1, keepdim=True), d_w3, d_z.sum(1, keepdim=True)]
    for grad, param in zip(result, model.parameters(), strict=True):
        grad.add_(param, alpha=2 * l2)
    return result


def check_against_autograd(wide: bool) -> float:
    """Largest difference between the hand-written gradients and autograd's (rrr's step), relative to each
    parameter's largest gradient entry."""
    xs, ys, mask, l1 = stacked_batch(9, 256, FAE_DENSITY)
    model = decoy_stack(9)
    by_hand = handwritten_grads(model, xs[0], ys[0], mask, l1, 1e-4, wide)
    total = objective_terms(model, xs, ys, mask, l1=l1, l2=1e-4, penalize=True, fused=True).total
    by_autograd = torch.autograd.grad(total, list(model.parameters()))
    return max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(by_hand, by_autograd, strict=True))


def seconds_per_step(form: str, steps: int = 30) -> float:
    """Median seconds of an Adam step on find-another-explanation's objective, in ``form``: "autograd" (rrr.fit's
    step), "by hand", "by hand, wide", "by hand, wide, fused Adam"."""
    xs, ys, mask, l1 = stacked_batch(9, 256, FAE_DENSITY)
    model = decoy_stack(9)
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-3, fused=form.endswith("fused Adam") or None)

    def step() -> None:
        if form == "autograd":
            loss = _unchecked(model, xs, ys, mask, l1, 1e-4)
            optimizer.zero_grad(set_to_none=True)
            loss.backward(inputs=params)
        else:
            for param, grad in zip(params, handwritten_grads(model, xs[0], ys[0], mask, l1, 1e-4, "wide" in form)):
                param.grad = grad
        optimizer.step()

    return median_seconds(step, steps, warm_up=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    reuse_freed_memory()
    torch.set_num_threads(1)
    for wide in (False, True):
        difference = check_against_autograd(wide)
        print(f"hand-written gradients{', wide' if wide else ''} against autograd's: {difference:.1e} of the largest")
        assert difference < 1e-5, "the hand-written gradient is wrong"
    flops = stacked_step_efficiency(per_model_masks=True, steps=1)["flops"]
    forms = ("autograd", "by hand", "by hand, wide", "by hand, wide, fused Adam")
    times: dict[str, list[float]] = {form: [] for form in forms}
    peaks = []
    for _ in range(args.rounds):
        for form in forms:
            times[form].append(seconds_per_step(form))
        peaks.append(matmul_gflops())
    peak = statistics.median(peaks)
    base = statistics.median(times["autograd"])
    print(f"find-another-explanation's step, 9 stacked MLPs, one thread ({flops / 1e9:.2f} GFLOP a step; a 1024³ "
          f"matmul: {peak:.1f} GFLOP/s), median of {args.rounds} rounds x 30 steps:")
    for form in forms:
        seconds = statistics.median(times[form])
        print(f"  {form:<28} {seconds * 1e3:6.1f} ms  ratio to autograd's {seconds / base:.2f}  "
              f"fraction of the matmul {flops / seconds / 1e9 / peak:.2f}")


if __name__ == "__main__":
    main()
