"""Iris-Cancer: training K splits as one stacked model vs K single models one after another.

The paper's Figure 8 trains a model on each of 350 random splits (200 full-batch epochs each).
This script measures, in one process, the wall time of K such trainings done sequentially
(one ``rrr.mlp`` per split) and stacked (one ``rrr.mlp_stack`` on (K, 67, 34) data), checks
that both give the same models, and prints the speedup.

    python benchmarks/bench_stacked_iris.py --splits 50 --epochs 200 --l1 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from rrr import accuracy, fit, mlp, mlp_stack
from rrr.data.iris_cancer import iris_cancer_splits, iris_mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=50, help="K, the number of splits (models)")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--l1", type=float, default=1000.0, help="λ1 on the Iris columns (0 = A = 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: what the workflow uses)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    d = iris_cancer_splits(args.splits, seed=0)
    x, y = torch.as_tensor(d["Xtr"], dtype=torch.float32), torch.as_tensor(d["ytr"])
    mask = iris_mask(x.shape[1]) if args.l1 else None
    train = dict(l1=args.l1, epochs=args.epochs, batch_size=x.shape[1])
    seeds = list(range(args.splits))

    start = time.perf_counter()
    singles = [fit(mlp(34, 2, seed=s), x[s], y[s], mask, **train)[0] for s in seeds]
    sequential = time.perf_counter() - start

    start = time.perf_counter()
    stacked, _ = fit(mlp_stack(34, 2, seeds), x, y, mask, **train)
    batched = time.perf_counter() - start

    acc_single = np.array([accuracy(m, d["Xte"][s], d["yte"][s]) for s, m in enumerate(singles)])
    acc_stacked = accuracy(stacked, d["Xte"], d["yte"])
    agree = float(np.mean(np.isclose(acc_single, acc_stacked)))
    print(f"K={args.splits} splits, {args.epochs} epochs, λ1={args.l1:g}, {args.threads} threads")
    print(f"sequential: {sequential:.1f} s   stacked: {batched:.1f} s   speedup: {sequential / batched:.1f}x")
    print(
        f"test accuracy, sequential vs stacked: {acc_single.mean():.4f} vs {acc_stacked.mean():.4f} "
        f"(same on {agree:.0%} of the splits)"
    )


if __name__ == "__main__":
    main()
