"""Small models and data the adversarial tests share."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def linear_model(d: int = 784, k: int = 10, seed: int = 0, scale: float = 1.0) -> nn.Module:
    """A seeded linear classifier on ``d`` features, its weights scaled by ``scale`` (large: saturated softmax)."""
    torch.manual_seed(seed)
    model = nn.Linear(d, k)
    with torch.no_grad():
        model.weight.mul_(scale)
    return model.eval()


def random_images(n: int = 8, d: int = 784, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform [0, 1) images of ``d`` pixels and random labels of 10 classes."""
    rng = np.random.default_rng(seed)
    return rng.random((n, d), dtype=np.float32), rng.integers(0, 10, n)
