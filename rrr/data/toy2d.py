"""2D toy datasets: the "2D Intuition" figure's (spec §1.5) and the thesis's Hessian-penalty problem (Figure 24)."""

from __future__ import annotations

import numpy as np


def two_class_2d(n: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform on [-50,50]^2; y = 1 where x^4 + y^4 > 0.66 * its sample mean.

    Returns X float32 (n,2) and y int64 (n,).
    """
    X = np.random.default_rng(seed).uniform(-50, 50, size=(n, 2))
    f = X[:, 0] ** 4 + X[:, 1] ** 4
    return X.astype(np.float32), (f > 0.66 * f.mean()).astype(np.int64)


def three_class_2d(n: int = 30000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform on [0,100]^2 in three classes carved by curved boundaries.

    Class 0 if x^2+y^2 > 7000 and 3x - 17y < 14; else class 1 if x^2.5 + 12 sin(y) < 50
    or x > 45 or y < 5 + 0.5x; else class 2. Returns X float32 (n,2) and y int64 (n,).
    """
    X = np.random.default_rng(seed).uniform(0, 100, size=(n, 2))
    x, y = X[:, 0], X[:, 1]
    class0 = (x**2 + y**2 > 7000) & (3 * x - 17 * y < 14)
    class1 = (x**2.5 + 12 * np.sin(y) < 50) | (x > 45) | (y < 5 + 0.5 * x)
    labels = np.where(class0, 0, np.where(class1, 1, 2)).astype(np.int64)
    return X.astype(np.float32), labels


def sine_boundary_2d(n: int, seed: int = 0, extent: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """The 2D problem of our Figure 24 (the thesis does not give its own): points uniform on
    [−extent, extent]², y = 1 above the curve x₂ = sin(x₁). Returns X float32 (n, 2), y int64 (n,)."""
    X = np.random.default_rng(seed).uniform(-extent, extent, size=(n, 2))
    return X.astype(np.float32), (X[:, 1] > np.sin(X[:, 0])).astype(np.int64)
