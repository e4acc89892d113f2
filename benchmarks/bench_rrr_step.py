"""Cost of one RRR training step relative to a plain cross-entropy step (Decoy-MNIST MLP).

Both are measured in the same process on the same data, interleaved in rounds, and the
ratio of medians is reported: double backpropagation's theoretical floor is about 2x.
The RRR step is also timed on the unchecked internal path that ``rrr.fit``'s loop calls,
which measures what ``rrr_loss``'s argument checks cost per step.

    python benchmarks/bench_rrr_step.py [--steps 200] [--rounds 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import rrr
from rrr.losses import _loss_terms


def _unchecked(model, x, y, mask, l1, l2):  # what rrr.fit's inner loop calls
    return _loss_terms(model, x, y, mask, l1=l1, l2=l2).total


def time_steps(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None,
               l1: float, steps: int, loss_fn=rrr.rrr_loss) -> float:
    """Seconds per Adam step on the RRR objective (mask=None: plain cross-entropy)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(steps):
        loss = loss_fn(model, x, y, mask, l1=l1, l2=1e-4)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return (time.perf_counter() - start) / steps


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


if __name__ == "__main__":
    main()
