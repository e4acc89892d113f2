"""The adversarial chapter's CNN (reference §5.2, TF-slim in the original) in PyTorch.

conv 5×5×32 → max-pool 2 → conv 5×5×64 → max-pool 2 → FC 1024 → dropout 0.5 → FC K (logits).
Batch norm (decay 0.9, eps 1e-3, centre but no scale, no bias on the normed layer) follows both
convolutions and FC-1024; ReLU everywhere; SAME padding; Glorot-uniform weights. SVHN images
first pass through LeCun local contrast normalization inside the network.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from rrr.atomic import atomic_path
from rrr.validation import resolve_device as check_device

BN_EPS = 1e-3
BN_MOMENTUM = 0.1  # TF decay 0.9


class CenteredBatchNorm(nn.Module):
    """slim.batch_norm(center=True, scale=False): normalise, then add a learned offset β."""

    def __init__(self, channels: int, spatial: bool):
        super().__init__()
        norm = nn.BatchNorm2d if spatial else nn.BatchNorm1d
        self.norm = norm(channels, eps=BN_EPS, momentum=BN_MOMENTUM, affine=False)
        self.beta = nn.Parameter(torch.zeros(channels))
        self.spatial = spatial

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        beta = self.beta.view(1, -1, 1, 1) if self.spatial else self.beta
        return self.norm(x) + beta


class LeCunLCN(nn.Module):
    """LeCun local contrast normalization (reference §5.1, `lecun_lcn.py`), used for SVHN.

    A 7×7 Gaussian (σ=3, sum 1) gives the local mean; the divisor is max(mean local std over
    the whole batch, local std), floored at 1e-4. The batch-wide mean makes predictions depend on
    batch composition, as in the original (§7 item 19).
    """

    def __init__(self, size: int = 7, sigma: float = 3.0):
        super().__init__()
        r = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
        g = torch.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
        self.register_buffer("kernel", (g / g.sum()).view(1, 1, size, size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.kernel.shape[-1] // 2
        centered = x - F.conv2d(x, self.kernel, padding=pad)
        local_std = F.conv2d(centered**2, self.kernel, padding=pad).sqrt()
        divisor = torch.maximum(local_std.mean(), local_std).clamp_min(1e-4)
        return centered / divisor


class ReferenceCNN(nn.Module):
    """The chapter's CNN on flattened (N, side²) grayscale images; returns logits (N, K)."""

    def __init__(self, side: int = 28, n_classes: int = 10, lcn: bool = False):
        super().__init__()
        self.config = {"side": side, "n_classes": n_classes, "lcn": lcn}
        self.side = side
        self.lcn = LeCunLCN() if lcn else nn.Identity()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2, bias=False),
            CenteredBatchNorm(32, spatial=True),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2, bias=False),
            CenteredBatchNorm(64, spatial=True),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        flat = 64 * (side // 4) ** 2
        self.classifier = nn.Sequential(
            nn.Linear(flat, 1024, bias=False),
            CenteredBatchNorm(1024, spatial=False),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(1024, n_classes),
        )
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 1, self.side, self.side)
        return self.classifier(self.features(self.lcn(x)))


def reference_cnn(side: int = 28, n_classes: int = 10, *, lcn: bool = False, seed: int = 0) -> ReferenceCNN:
    """A freshly initialised reference CNN; ``seed`` fixes the Glorot initialisation."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return ReferenceCNN(side, n_classes, lcn)


def save_cnn(model: ReferenceCNN, path: str | Path, **info: object) -> None:
    """Save weights and buffers plus the architecture and ``info`` (atomically)."""
    with atomic_path(path) as tmp:
        torch.save({"config": model.config, "state": model.state_dict(), "info": json.loads(json.dumps(info))}, tmp)


def load_cnn(path: str | Path, device: str | torch.device = "cpu") -> ReferenceCNN:
    """Load a model saved by :func:`save_cnn`, in evaluation mode."""
    saved = torch.load(path, map_location=device, weights_only=True)
    model = ReferenceCNN(**saved["config"]).to(device)
    model.load_state_dict(saved["state"])
    return model.eval()


def resolve_device(name: str) -> torch.device:
    """The chapter's device (config adversarial.device, or the top-level device it follows); a clear error naming
    the key and the fix when CUDA is asked for but absent (rrr.validation.resolve_device)."""
    return check_device(name, "adversarial.device")


def load_cnns(names: list[str], paths: list[str], device: str | torch.device = "cpu") -> dict[str, ReferenceCNN]:
    """Models by name (one path each), in evaluation mode on ``device``."""
    return {name: load_cnn(path, device) for name, path in zip(names, paths)}
