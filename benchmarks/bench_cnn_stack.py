"""One training step of k stacked adversarial-chapter CNNs (rrr.adversarial.stack) against k lone models' steps.

The stack (grouped convolutions, batched products, one Adam) and k lone :class:`ReferenceCNN` (each its own
objective_loss, backward and Adam step, as ``train_cnn`` runs them) take the same minibatch, interleaved in rounds in
one process; the ratio per round is stacked seconds / (sum of the k lone steps' seconds), and its median over rounds is
reported (the cores may be shared: a ratio from one round's neighbouring measurements is steadier than either time).
Then the stacked step's throughput: FLOPs of one step (double backward included) counted on the stacked step with
``torch.utils.flop_counter``'s per-op formulas (``bench_rrr_step.CountFlops``: FlopCounterMode's module hooks fail on
autograd.grad of an input), its convolution-backward formula corrected for ``groups``
(:func:`grouped_conv_backward_flop`: torch's counts a grouped convolution's weight gradient as ungrouped, k times
over), as GFLOP/s of the stacked step and as a fraction of a 1024³ float32 matmul on the same thread count, in the
same process. Memory as workflow jobs run (:func:`rrr.allocator.reuse_freed_memory`).

    python benchmarks/bench_cnn_stack.py [--ks 3 8 24] [--batch 256] [--rounds 3] [--defense normal] [--threads 1]
                                         [--device cpu|cuda]

On CUDA each timed step ends with a synchronize, and the matmul is the GPU's (TF32 off, as in tests/test_gpu.py).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import conv_backward_flop, shape_wrapper

from bench_rrr_step import CountFlops, matmul_gflops, median_seconds
from rrr.adversarial.cnn import reference_cnn
from rrr.adversarial.defenses import model_seed, objective_for, objective_loss
from rrr.adversarial.stack import CNNStack, stack_loss
from rrr.allocator import reuse_freed_memory


DEVICE = torch.device("cpu")


def _batch(batch: int, side: int = 28) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(batch, side * side, generator=g), torch.randint(0, 10, (batch,), generator=g)
    return x.to(DEVICE), y.to(DEVICE)


def _synced(run):
    """``run`` then, on CUDA, a synchronize: the timed step is the GPU's work, not its launch."""
    if DEVICE.type != "cuda":
        return run

    def synced() -> None:
        run()
        torch.cuda.synchronize()
    return synced


def device_matmul_gflops(n: int = 1024, reps: int = 20) -> float:
    if DEVICE.type != "cuda":
        return matmul_gflops(n, reps)
    a, b = torch.randn(n, n, device=DEVICE), torch.randn(n, n, device=DEVICE)
    return 2 * n**3 / median_seconds(_synced(lambda: a @ b), reps) / 1e9


def lone_steps(k: int, defense: str, x: torch.Tensor, y: torch.Tensor):
    """A closure running one training step of each of k lone models (train_cnn's step)."""
    objective = objective_for(defense, lam=10.0)
    models = [reference_cnn(seed=model_seed(s, defense, 10.0)).to(DEVICE).train() for s in range(k)]
    optimizers = [torch.optim.Adam(m.parameters(), lr=2e-4, eps=1e-4) for m in models]

    def run() -> None:
        for model, optimizer in zip(models, optimizers):
            loss, _ = objective_loss(model, x, y, objective)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return _synced(run)


def stacked_step(k: int, defense: str, x: torch.Tensor, y: torch.Tensor):
    """A closure running one training step of a stack of k models (train_stack's step)."""
    seeds = [model_seed(s, defense, 10.0) for s in range(k)]
    stack = CNNStack([reference_cnn(seed=s) for s in seeds]).to(DEVICE).train()
    stack.seed_dropout(seeds)
    objectives = [objective_for(defense, lam=10.0)] * k
    optimizer = torch.optim.Adam(stack.parameters(), lr=2e-4, eps=1e-4)

    def run() -> None:
        loss, _, _ = stack_loss(stack, x, [y] * k, objectives)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return _synced(run)


def grouped_conv_backward_flop(grad_out_shape, x_shape, w_shape, bias, stride, padding, dilation, transposed,
                               output_padding, groups, output_mask, out_shape, **kwargs) -> int:
    """torch's count of a convolution's backward with the weight gradient's part divided by ``groups``."""
    args = grad_out_shape, x_shape, w_shape, bias, stride, padding, dilation, transposed, output_padding, groups
    flops = conv_backward_flop(*args, [output_mask[0], False, False], out_val=out_shape) if output_mask[0] else 0
    if output_mask[1]:
        flops += conv_backward_flop(*args, [False, True, False], out_val=out_shape) // groups
    return flops


class CountGroupedFlops(CountFlops):
    """:class:`CountFlops` with :func:`grouped_conv_backward_flop` for convolutions' backward."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func._overloadpacket is not torch.ops.aten.convolution_backward:
            return super().__torch_dispatch__(func, types, args, kwargs)
        out = func(*args, **(kwargs or {}))
        self.flops += shape_wrapper(grouped_conv_backward_flop)(*args, **(kwargs or {}), out_val=out)
        return out


def step_flops(run) -> int:
    with CountGroupedFlops() as counter:
        run()
    return counter.flops


def compare(k: int, defense: str, batch: int, rounds: int, reps: int = 1) -> dict[str, float]:
    """Median over interleaved rounds of stacked/lone seconds, the stacked step's seconds and GFLOP/s."""
    x, y = _batch(batch)
    stacked, lone = stacked_step(k, defense, x, y), lone_steps(k, defense, x, y)
    ratios, stacked_s, lone_s = [], [], []
    for _ in range(rounds):
        s = median_seconds(stacked, reps)
        t = median_seconds(lone, reps)
        ratios.append(s / t)
        stacked_s.append(s)
        lone_s.append(t)
    flops = step_flops(stacked)
    s = statistics.median(stacked_s)
    return {"k": k, "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "stacked_s": s, "lone_s": statistics.median(lone_s), "gflop": flops / 1e9, "gflops": flops / s / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[3, 8, 24])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--defense", default="normal")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_num_threads(args.threads)
    reuse_freed_memory()  # as workflow jobs run (rrr.pipeline.jobs)
    start = time.perf_counter()
    peak = device_matmul_gflops()
    print(f"{args.defense}, batch {args.batch} of 28×28 on {args.device}, {args.threads} thread(s), {args.rounds} "
          "interleaved rounds; "
          f"1024³ matmul: {peak:.1f} GFLOP/s")
    print("k\tstacked/lone (median [min, max])\tstacked s\tk lone s\tGFLOP/step\tGFLOP/s\tof matmul")
    for k in args.ks:
        r = compare(k, args.defense, args.batch, args.rounds)
        print(f"{k}\t{r['ratio']:.3f} [{r['ratio_min']:.3f}, {r['ratio_max']:.3f}]\t{r['stacked_s']:.3f}\t"
              f"{r['lone_s']:.3f}\t{r['gflop']:.2f}\t{r['gflops']:.1f}\t{r['gflops'] / peak:.2f}", flush=True)
    print(f"({time.perf_counter() - start:.0f} s in all)")


if __name__ == "__main__":
    main()
