"""VGG-style convolutional networks and the fast gradient sign method, for the thesis's L1-vs-L2
input-gradient defence (App. I.1, Fig. 23: VGG-16 on CIFAR-10).

``vgg("vgg16", ...)`` is VGG-16's 13 convolutions (Simonyan & Zisserman 2015) with the small
512-512-K classifier usual for 32×32 inputs; ``vgg("small", ...)`` keeps the pattern (3×3
convolutions, ReLU, 2×2 max-pooling, then two dense layers) at a size a CPU trains in minutes.
No batch norm or dropout, so every example's input gradient depends on that example alone,
which input-gradient penalties assume.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


M = "M"  # 2×2 max-pooling
CONFIGS: dict[str, tuple[list[int | str], int]] = {
    # (convolution channels and pools, width of the hidden dense layer)
    "vgg16": ([64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M], 512),
    "small": ([16, 16, M, 32, 32, M], 128),
}


def vgg(
    config: str | Sequence[int | str],
    in_channels: int,
    n_classes: int,
    side: int,
    *,
    hidden: int | None = None,
    seed: int | None = None,
) -> nn.Sequential:
    """A VGG-style network for (N, in_channels, side, side) inputs, returning logits.

    ``config`` names an entry of :data:`CONFIGS` or lists channels and ``"M"`` pools.
    """
    layers_cfg, default_hidden = CONFIGS[config] if isinstance(config, str) else (list(config), 128)
    hidden = default_hidden if hidden is None else hidden
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        layers: list[nn.Module] = []
        channels, size = in_channels, side
        for item in layers_cfg:
            if item == M:
                layers.append(nn.MaxPool2d(2))
                size //= 2
            else:
                layers += [nn.Conv2d(channels, int(item), 3, padding=1), nn.ReLU()]
                channels = int(item)
        if size < 1:
            raise ValueError(f"{side}×{side} inputs are pooled away by {layers_cfg}.")
        layers += [nn.Flatten(), nn.Linear(channels * size * size, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)]
        return nn.Sequential(*layers)

