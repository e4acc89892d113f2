"""Figure helpers: one style for every figure, explanation overlays, PNG + vector PDF output.

Figure-specific drawing lives in one submodule per dataset (``rrr.plots.<dataset>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from rrr.atomic import atomic_path  # noqa: E402

PALETTE = sns.color_palette("colorblind")
POSITIVE, NEGATIVE = PALETTE[0], PALETTE[1]  # blue raises, orange lowers the explained output
PAPER_MARKER = {"marker": "D", "color": "black", "zorder": 5}


def use_style() -> None:
    """Paper-style defaults: white grid, colorblind-safe palette, readable fonts."""
    sns.set_theme(context="paper", style="whitegrid", palette="colorblind", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": 150, "savefig.dpi": 200, "pdf.fonttype": 42, "axes.titlesize": 10})


def save_figure(fig: plt.Figure, png: str | Path, pdf: str | Path | None = None) -> None:
    """Save as PNG (and vector PDF), through temporary names so no half-written figure remains."""
    for path in (png, pdf):
        if path is None:
            continue
        with atomic_path(path) as tmp:
            fig.savefig(tmp, bbox_inches="tight")
    plt.close(fig)


def gradient_overlay(
    ax: plt.Axes,
    image: np.ndarray,
    gradient: np.ndarray,
    cutoff: float = 0.1,
    side: int = 28,
) -> None:
    """A grayscale image with its input gradient on top: blue where it is positive, orange where
    negative, opacity |g| / max|g| (entries under ``cutoff`` of the max are left out)."""
    img = np.asarray(image, dtype=float).reshape(side, side)
    g = np.asarray(gradient, dtype=float).reshape(side, side)
    ax.imshow(img, cmap="gray_r", vmin=0, vmax=255 if img.max() > 1 else 1, interpolation="nearest")
    peak = np.abs(g).max()
    if peak > 0:
        alpha = np.clip(np.abs(g) / peak, 0, 1)
        alpha[alpha < cutoff] = 0
        rgba = np.zeros((side, side, 4))
        rgba[..., :3] = np.where((g > 0)[..., None], POSITIVE, NEGATIVE)
        rgba[..., 3] = alpha
        ax.imshow(rgba, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def mean_sd_bars(
    ax: plt.Axes,
    labels: Sequence[str],
    values: Sequence[Sequence[float]],
    paper: Sequence[float | None] = (),
) -> None:
    """Bars of per-seed means with sd error bars and individual seeds as dots; the paper's
    values as black diamonds."""
    means = [float(np.mean(v)) for v in values]
    sds = [float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for v in values]
    xs = np.arange(len(labels))
    ax.bar(xs, means, yerr=sds, color=PALETTE[: len(labels)], capsize=4, alpha=0.85, label="this run (mean ± sd)")
    for x, v in zip(xs, values):
        ax.scatter(np.full(len(v), x) + np.linspace(-0.15, 0.15, len(v)), v, s=8, color="0.25", zorder=4)
    pts = [(x, p) for x, p in zip(xs, paper) if p is not None]
    if pts:
        ax.scatter(*zip(*pts), s=40, label="paper", **PAPER_MARKER)
    ax.set_xticks(xs, labels)
