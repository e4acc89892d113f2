"""Figure 1: input gradients of a 2D MLP as arrows over its decision regions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from rrr.plots import PALETTE

SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"


def _regions(ax: plt.Axes, c: Mapping[str, np.ndarray], n_classes: int) -> None:
    """Decision regions as light class colours with the boundaries drawn in grey."""
    cmap = ListedColormap(PALETTE[:n_classes])
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(c["region_x"], c["region_y"], c["regions"], levels=levels, cmap=cmap, alpha=0.22)
    ax.contour(c["region_x"], c["region_y"], c["regions"], levels=levels[1:-1], colors="0.3", linewidths=0.8)
    ax.set_aspect("equal")
    ax.set_xlim(c["region_x"][0], c["region_x"][-1])
    ax.set_ylim(c["region_y"][0], c["region_y"][-1])
    ax.set_xticks([])
    ax.set_yticks([])


def _arrows(ax: plt.Axes, points: np.ndarray, g: np.ndarray, color, cell: float) -> None:
    """Arrows scaled per panel so the longest spans 1.3 grid cells: relative lengths within a
    panel are true, lengths across panels are not comparable."""
    peak = np.linalg.norm(g, axis=1).max()
    scale = peak / (1.3 * cell) if peak > 0 else 1.0
    ax.quiver(points[:, 0], points[:, 1], g[:, 0], g[:, 1], color=color, angles="xy",
              scale_units="xy", scale=scale, width=0.006, headwidth=4)


def dataset_panels(fig: plt.Figure, c: Mapping[str, np.ndarray], title: str) -> None:
    """Top row: data and regions, then ∇p̂_k per class; bottom row: ∇Σ_k log p̂_k, then ∇log p̂_k."""
    n_classes = len(c["prob"])
    axes = fig.subplots(2, n_classes + 1)
    points = c["points"]
    cell = np.diff(np.unique(points[:, 0]))[0]
    for ax in axes.ravel():
        _regions(ax, c, n_classes)
    data_colors = np.asarray(PALETTE)[c["data_y"]]
    axes[0, 0].scatter(c["data_x"][:, 0], c["data_x"][:, 1], c=data_colors, s=2, alpha=0.6, linewidths=0)
    axes[0, 0].set_title("data, decision regions")
    _arrows(axes[1, 0], points, c["sum_log_prob"], "black", cell)
    axes[1, 0].set_title("∇ Σₖ log p̂ₖ")
    for k in range(n_classes):
        _arrows(axes[0, k + 1], points, c["prob"][k], PALETTE[k], cell)
        axes[0, k + 1].set_title(f"∇ p̂{SUBSCRIPTS[k]}")
        _arrows(axes[1, k + 1], points, c["log_prob"][k], PALETTE[k], cell)
        axes[1, k + 1].set_title(f"∇ log p̂{SUBSCRIPTS[k]}")
    fig.suptitle(title)


def gradient_figure(
    cached: Sequence[Mapping[str, np.ndarray]],
    titles: Sequence[str],
) -> plt.Figure:
    """Figure 1: one block of panels per dataset, side by side (widths by number of classes)."""
    widths = [len(c["prob"]) + 1 for c in cached]
    fig = plt.figure(figsize=(2.05 * sum(widths), 4.6), layout="constrained")
    subfigures = np.atleast_1d(fig.subfigures(1, len(cached), width_ratios=widths, wspace=0.03))
    for sub, c, title in zip(subfigures, cached, titles):
        dataset_panels(sub, c, title)
    return fig
