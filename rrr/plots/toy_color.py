"""Toy Color figures (paper Figs. 2, 3, 4, 12): 5×5 images with explanation dots, rule-share
curves, find-another-explanation accuracies and learning curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from rrr.data.toy_color import SIDE
from rrr.plots import PALETTE, PAPER_MARKER
from rrr.paper.toy_color import pixel_mask

CORNER_STYLE = {"marker": "^", "color": PALETTE[0], "label": "corners (rule 1)"}
TOP_MIDDLE_STYLE = {"marker": "o", "color": PALETTE[1], "label": "top middle (rule 2)"}
ACCURACY_STYLE = {"color": "0.3", "linestyle": "--", "label": "test accuracy"}


def toy_image(ax: plt.Axes, image: np.ndarray, pixels: np.ndarray | None = None) -> None:
    """One 5×5 RGB image, with a white dot (black rim) on each selected pixel."""
    ax.imshow(np.asarray(image, dtype=np.uint8).reshape(SIDE, SIDE, 3), interpolation="nearest")
    if pixels is not None:
        rows, cols = np.divmod(np.flatnonzero(np.asarray(pixels).ravel()), SIDE)
        ax.scatter(cols, rows, s=22, c="white", edgecolors="black", linewidths=0.7, zorder=3)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)


def explanation_grid(
    fig: plt.Figure, images: np.ndarray, pixels: np.ndarray, ncols: int, title: str | None = None
) -> None:
    """A grid of images with their explanation dots, filling ``fig`` (a figure or subfigure)."""
    nrows = int(np.ceil(len(images) / ncols))
    axes = np.atleast_2d(fig.subplots(nrows, ncols, gridspec_kw={"wspace": 0.08, "hspace": 0.08}))
    for i, ax in enumerate(axes.ravel()):
        if i < len(images):
            toy_image(ax, images[i], pixels[i])
        else:
            ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)


def rule_shares(
    ax: plt.Axes,
    x: np.ndarray,
    corners: np.ndarray,
    top_middle: np.ndarray,
    accuracy: np.ndarray,
    *,
    spread: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Figure 3's panels: corner and top-middle shares of M_0.67 (and test accuracy) against a log x.

    With ``spread`` (sd per point for "corners", "top_middle", "accuracy") error bars are drawn.
    """
    spread = spread or {}
    for values, style, key in ((corners, CORNER_STYLE, "corners"), (top_middle, TOP_MIDDLE_STYLE, "top_middle")):
        ax.errorbar(x, values, yerr=spread.get(key), markersize=4, linestyle="none", capsize=2,
                    markerfacecolor="none" if style is TOP_MIDDLE_STYLE else style["color"], **style)
    ax.errorbar(x, accuracy, yerr=spread.get("accuracy"), capsize=2, **ACCURACY_STYLE)
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.05)


def accuracy_by_round(
    ax: plt.Axes, train: Sequence[Sequence[float]], test: Sequence[Sequence[float]], paper_test: Sequence[float]
) -> None:
    """Figure 4, bottom: train (triangles) and test (circles) accuracy per FAE round, mean ± sd over seeds."""
    rounds = np.arange(len(train))
    for values, marker, color, label in ((train, "^", PALETTE[0], "train"), (test, "o", PALETTE[1], "test")):
        arr = np.asarray(values, dtype=float)
        sd = arr.std(axis=1, ddof=1) if arr.shape[1] > 1 else None
        ax.errorbar(rounds, arr.mean(axis=1), yerr=sd, marker=marker, color=color, capsize=3,
                    label=f"{label} (mean ± sd)")
        for r, row in zip(rounds, arr):
            ax.scatter(np.full(len(row), r) + np.linspace(-0.06, 0.06, len(row)), row, s=6, color=color, alpha=0.5)
    ax.scatter(rounds, paper_test, s=36, label="paper (test)", **PAPER_MARKER)
    ax.axhline(1, color="0.5", linestyle="--", linewidth=0.8)
    ax.set_xticks(rounds, [f"θ{r}" for r in rounds])
    ax.set_xlabel("find-another-explanation iteration")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0.4, 1.05)


def learning_curves(
    ax: plt.Axes,
    sizes: Sequence[int],
    curves: Mapping[str, np.ndarray],
    styles: Mapping[str, Mapping[str, object]],
) -> None:
    """Figure 12: test accuracy vs training size, mean line with a ±sd band over seeds per condition."""
    for name, acc in curves.items():
        acc = np.asarray(acc, dtype=float)
        mean = acc.mean(axis=1)
        sd = acc.std(axis=1, ddof=1) if acc.shape[1] > 1 else np.zeros_like(mean)
        style = dict(styles[name])
        ax.plot(sizes, mean, marker=style.pop("marker", "o"), markersize=3.5, **style)
        ax.fill_between(sizes, mean - sd, mean + sd, color=style["color"], alpha=0.18, linewidth=0)
    ax.set_xscale("log")
    ax.set_ylim(0.45, 1.01)
    ax.set_xlabel("number of training examples N")
    ax.set_ylabel("test accuracy")



def annotation_mask(ax: plt.Axes, mask: np.ndarray, color: object, title: str) -> None:
    """A 5×5 drawing of an annotation mask A (gray = penalized pixel), framed in its condition's color."""
    pixels = pixel_mask(torch.as_tensor(mask)).numpy().reshape(SIDE, SIDE)
    ax.imshow(np.where(pixels, 0.55, 1.0), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(True)
        side.set_edgecolor(color)
        side.set_linewidth(2)
    ax.set_title(title, fontsize=8, color=color, pad=3)
