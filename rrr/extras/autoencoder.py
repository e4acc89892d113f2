"""A small convolutional autoencoder whose first latents are tied to known factors (thesis App. L).

The thesis disentangles square size from background colour "with supervision here, but in
principle this can be unsupervised": latent ``k < n_supervised`` is trained to equal the
standardized factor ``k`` while the whole code also reconstructs the image; the remaining
latents are free (they take up position). After training the autoencoder is frozen and
classifiers are trained on its codes, with gradients taken with respect to the latents.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rrr.numerics import ArrayLike, DivergenceGuard, as_tensor
from rrr.progress import Progress, ProgressCallback
from rrr.validation import model_device


class ConvAutoencoder(nn.Module):
    """(N, side, side) images in [0, 1] -> (N, n_latent) codes -> reconstructions; side divisible by 4."""

    def __init__(self, side: int = 16, n_latent: int = 4, n_supervised: int = 2, channels: int = 16) -> None:
        super().__init__()
        if side % 4:
            raise ValueError(f"side must be divisible by 4, not {side}.")
        self.config = {"side": side, "n_latent": n_latent, "n_supervised": n_supervised, "channels": channels}
        c, s = channels, side // 4
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(2 * c * s * s, 64),
            nn.ReLU(),
            nn.Linear(64, n_latent),
        )
        self.decoder = nn.Sequential(
            nn.Linear(n_latent, 64),
            nn.ReLU(),
            nn.Linear(64, 2 * c * s * s),
            nn.ReLU(),
            nn.Unflatten(1, (2 * c, s, s)),
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1),
        )
        self.register_buffer("target_mean", torch.zeros(n_supervised))
        self.register_buffer("target_std", torch.ones(n_supervised))

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.encoder(images.unsqueeze(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z)).squeeze(1)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(images)
        return z, self.decode(z)

    @torch.no_grad()
    def codes(self, images: ArrayLike, batch_size: int = 4096) -> torch.Tensor:
        """Latent codes of many images, in evaluation mode (the frozen encoder)."""
        self.eval()
        return torch.cat([self.encode(b) for b in as_tensor(images).split(batch_size)])


@dataclass
class AutoencoderHistory:
    """Per-epoch mean reconstruction MSE and supervision MSE (standardized factors), and the wall time."""

    reconstruction: list = field(default_factory=list)
    supervision: list = field(default_factory=list)
    seconds: float = 0.0


def fit_autoencoder(
    model: ConvAutoencoder,
    images: ArrayLike,
    factors: ArrayLike,
    *,
    epochs: int = 20,
    batch_size: int = 128,
    lr: float = 1e-3,
    supervision_weight: float = 1.0,
    seed: int = 0,
    callback: ProgressCallback | None = None,
) -> tuple[ConvAutoencoder, AutoencoderHistory]:
    """Adam on reconstruction MSE + ``supervision_weight`` · MSE(z[:, :k], standardized factors).

    ``factors`` is (N, k) with k = ``n_supervised``; their mean and sd are stored in the model.
    Raises :class:`rrr.TrainingDivergedError` when the objective or the parameters stop being
    finite, and warns once if the objective explodes (see :func:`rrr.fit`). ``callback`` gets a
    :class:`rrr.progress.Progress` after each epoch.
    """
    device = model_device(model)  # the data follow the model (a CUDA model trains on the GPU)
    x = as_tensor(images, torch.float32).to(device)
    t = as_tensor(factors, torch.float32).to(device)
    k = model.config["n_supervised"]
    if t.shape != (len(x), k):
        raise ValueError(f"factors must have shape ({len(x)}, {k}), not {tuple(t.shape)}.")
    model.target_mean.copy_(t.mean(0))
    model.target_std.copy_(t.std(0).clamp(min=1e-8))
    t = (t - model.target_mean) / model.target_std
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = AutoencoderHistory()
    guard = DivergenceGuard("rrr.extras.autoencoder.fit_autoencoder", "lower lr or supervision_weight")
    start = time.perf_counter()
    model.train()
    for epoch in range(epochs):
        rec_sum = sup_sum = 0.0
        for b, idx in enumerate(torch.randperm(len(x), generator=generator).split(batch_size)):
            z, recon = model(x[idx])
            rec = F.mse_loss(recon, x[idx])
            sup = F.mse_loss(z[:, :k], t[idx])
            total = rec + supervision_weight * sup
            guard.objective(total, f"epoch {epoch + 1}, minibatch {b + 1}")
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            rec_sum += rec.item() * len(idx)
            sup_sum += sup.item() * len(idx)
        guard.parameters(model, f"the end of epoch {epoch + 1} (after its last step)")
        history.reconstruction.append(rec_sum / len(x))
        history.supervision.append(sup_sum / len(x))
        if callback is not None:
            n_batches = -(-len(x) // batch_size)
            terms = {"reconstruction": history.reconstruction[-1], "supervision": history.supervision[-1]}
            callback(Progress("fit_autoencoder", (epoch + 1) * n_batches, epochs * n_batches, epoch + 1, epochs,
                              terms, None, time.perf_counter() - start))
    model.eval()
    history.seconds = time.perf_counter() - start
    return model, history


def factor_correlations(codes: ArrayLike, factors: ArrayLike) -> np.ndarray:
    """|Pearson correlation| between every latent (rows) and every factor (columns): a disentanglement check."""
    z = np.asarray(codes, dtype=float)
    f = np.asarray(factors, dtype=float)
    zc = (z - z.mean(0)) / (z.std(0) + 1e-12)
    fc = (f - f.mean(0)) / (f.std(0) + 1e-12)
    return np.abs(zc.T @ fc) / len(z)
