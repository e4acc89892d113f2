"""Cost of one training step of each defense relative to a plain step, on the chapter's CNN.

Plain (normal) vs double backprop, the "insensitive" (certainty) penalty, adversarial training and both defenses,
interleaved in rounds on the same batch; reports seconds per step (median over rounds) and the ratio
to plain. Double backpropagation's theoretical floor is about 2× (one extra forward/backward pair).

    python benchmarks/bench_double_backprop_cnn.py [--steps 5] [--rounds 3] [--threads 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rrr.adversarial.cnn import reference_cnn
from rrr.adversarial.defenses import objective_for, objective_loss

DEFENSES = ("normal", "doubleback", "insensitive-cs", "advtrain", "both")  # insensitive-dbl costs what doubleback does


def seconds_per_step(defense: str, x: torch.Tensor, y: torch.Tensor, steps: int) -> float:
    model = reference_cnn(seed=0).to(x.device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4, eps=1e-4)
    objective = objective_for(defense, lam=1000.0)

    def step() -> None:
        loss, _ = objective_loss(model, x, y, objective)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # warm-up
    if x.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if x.device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(args.batch, 784, generator=g).to(args.device)
    y = torch.randint(0, 10, (args.batch,), generator=g).to(args.device)
    times: dict[str, list[float]] = {d: [] for d in DEFENSES}
    for _ in range(args.rounds):
        for d in DEFENSES:
            times[d].append(seconds_per_step(d, x, y, args.steps))
    plain = statistics.median(times["normal"])
    print(f"reference CNN, batch {args.batch}, {args.device}, {args.threads} threads, "
          f"{args.steps} steps × {args.rounds} rounds (median)")
    for d in DEFENSES:
        t = statistics.median(times[d])
        print(f"{d:12s} {t * 1000:9.1f} ms/step   {t / plain:5.2f}× plain")


if __name__ == "__main__":
    main()
