"""Figures of the thesis's adversarial chapter (Figures 14–22): transfer curves, Venn overlaps,
gradient and log-probability distributions, attack grids and input gradients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Rectangle

from rrr.plots import PALETTE

MODEL_LABELS = {
    "normal": "normal",
    "distilled": "distilled (T=50)",
    "advtrain": "adv. trained (ε=0.3)",
    "insensitive-cs": "insensitive (Σ log p̂)",  # the thesis text's certainty insensitivity
    "insensitive-dbl": "insensitive (dbl. backprop)",  # the reference launcher's: double backprop, smaller λ
    "doubleback": "double backprop",
    "both": "both defenses",
}
MODEL_COLORS = dict(
    zip(MODEL_LABELS, [PALETTE[0], PALETTE[1], PALETTE[4], PALETTE[6], PALETTE[5], PALETTE[2], PALETTE[7]])
)


def transfer_panel(
    ax: plt.Axes,
    metrics: Mapping,
    attack: str,
    source: str,
    evaluated: Sequence[str],
    epsilons: Sequence[float],
    reference: np.ndarray | None = None,
    reference_models: Sequence[str] = (),
) -> None:
    """Accuracy of each evaluated model vs ε on ``source``'s examples: mean ± sd over seeds (solid,
    shaded) and, when given, the reference's curve (``reference[evaluated, source, eps]``, dashed)."""
    for name in evaluated:
        values = np.array([metrics[f"{attack}_eps{e:g}_{name}_vs_{source}"] for e in epsilons])  # eps, seed
        mean, sd = values.mean(1), values.std(1, ddof=1) if values.shape[1] > 1 else np.zeros(len(epsilons))
        color = MODEL_COLORS[name]
        ax.plot(epsilons, mean, color=color, lw=1.6, marker="o", ms=2.5)
        ax.fill_between(epsilons, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)
        if reference is not None and name in reference_models and source in reference_models:
            ref = reference[list(reference_models).index(name), list(reference_models).index(source)]
            ax.plot(epsilons, ref[: len(epsilons)], color=color, lw=1, ls="--", alpha=0.8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(min(epsilons), max(epsilons))


def model_legend(fig: plt.Figure, models: Sequence[str], reference_label: str | None = None, **kwargs) -> None:
    """One legend for a whole figure: a line per evaluated model (and the reference's dash style)."""
    handles = [plt.Line2D([], [], color=MODEL_COLORS[m], lw=1.6, marker="o", ms=3) for m in models]
    labels = [MODEL_LABELS[m] for m in models]
    if reference_label:
        handles.append(plt.Line2D([], [], color="0.3", lw=1, ls="--"))
        labels.append(reference_label)
    fig.legend(handles, labels, loc="outside lower center", ncol=len(handles), frameon=False, **kwargs)


# Region centres of a three-circle Venn diagram, keyed by membership (A, B, C).
_VENN_CENTRES = [(-0.5, 0.35), (0.5, 0.35), (0.0, -0.5)]
_VENN_LABEL_AT = {
    (1, 0, 0): (-0.95, 0.6), (0, 1, 0): (0.95, 0.6), (0, 0, 1): (0.0, -1.05),
    (1, 1, 0): (0.0, 0.75), (1, 0, 1): (-0.62, -0.3), (0, 1, 1): (0.62, -0.3), (1, 1, 1): (0.0, 0.05),
}


def venn3(ax: plt.Axes, members: Mapping[str, np.ndarray], labels: Mapping[str, str] | None = None) -> None:
    """A three-set Venn diagram of boolean membership arrays, with the count in every region and
    the number of examples in none of the sets below."""
    names = list(members)
    masks = np.stack([np.asarray(members[n], bool) for n in names])
    for (cx, cy), name in zip(_VENN_CENTRES, names):
        ax.add_patch(Circle((cx, cy), 1.0, facecolor=MODEL_COLORS.get(name, "0.6"), alpha=0.3, edgecolor="0.3"))
    for key, (tx, ty) in _VENN_LABEL_AT.items():
        count = int(np.all(masks == np.array(key, bool)[:, None], axis=0).sum())
        ax.text(tx, ty, str(count), ha="center", va="center", fontsize=9)
    for (cx, cy), name, (dx, dy) in zip(_VENN_CENTRES, names, [(-0.9, 0.95), (0.9, 0.95), (0, -1.25)]):
        ax.text(cx + dx, cy + dy, (labels or MODEL_LABELS).get(name, name), ha="center", va="center", fontsize=8,
                color="0.1", weight="bold")
    ax.text(0, -1.95, f"fools none: {int((~masks.any(0)).sum())} of {masks.shape[1]}", ha="center", fontsize=8)
    ax.set_xlim(-1.9, 1.9)
    ax.set_ylim(-2.1, 1.75)
    ax.set_aspect("equal")
    ax.axis("off")


def image_grid(
    ax: plt.Axes,
    images: np.ndarray,
    side: int,
    clip: tuple[float, float],
    *,
    outline_diagonal: bool = True,
    row_labels: Sequence[str] = (),
    col_labels: Sequence[str] = (),
    marks: np.ndarray | None = None,
) -> None:
    """A rows × columns mosaic of flattened images (e.g. original class × target), the diagonal
    outlined; ``marks`` (same grid shape, bool) draws a small dot where an attack failed."""
    rows, cols = images.shape[:2]
    pad = 2
    canvas = np.full((rows * (side + pad) + pad, cols * (side + pad) + pad), np.nan)
    for r in range(rows):
        for c in range(cols):
            y0, x0 = pad + r * (side + pad), pad + c * (side + pad)
            canvas[y0: y0 + side, x0: x0 + side] = images[r, c].reshape(side, side)
    cmap = plt.get_cmap("gray_r").copy()
    cmap.set_bad("white")
    ax.imshow(canvas, cmap=cmap, vmin=clip[0], vmax=clip[1], interpolation="nearest")
    for r in range(rows):
        for c in range(cols):
            y0, x0 = pad + r * (side + pad) - 1, pad + c * (side + pad) - 1
            if outline_diagonal and r == c:
                ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), side + 1, side + 1, fill=False, ec=PALETTE[3], lw=1.2))
            if marks is not None and marks[r, c]:
                ax.plot(x0 + side - 3, y0 + 4, marker="o", ms=2.5, color=PALETTE[1])
    centres = [pad + i * (side + pad) + side / 2 for i in range(max(rows, cols))]
    ax.set_xticks(centres[:cols] if col_labels else [], list(col_labels))
    ax.set_yticks(centres[:rows] if row_labels else [], list(row_labels))
    ax.tick_params(length=0, labelsize=7)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def signed_image(ax: plt.Axes, gradient: np.ndarray, side: int) -> None:
    """An input gradient on a diverging scale centred on zero (symmetric limits)."""
    g = gradient.reshape(side, side)
    peak = float(np.abs(g).max()) or 1.0
    ax.imshow(g, cmap="RdBu_r", vmin=-peak, vmax=peak, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def transfer_figure(
    metrics: Mapping[str, Mapping],
    titles: Mapping[str, str],
    attack: str,
    models: Sequence[str],
    epsilons: Sequence[float],
    references: Mapping[str, np.ndarray | None],
    reference_models: Sequence[str],
) -> plt.Figure:
    """Figures 14/18: one row per dataset, one panel per source model, each evaluated model's
    accuracy vs ε on the source's examples (ours solid with ±sd; the reference's dashed)."""
    datasets = list(metrics)
    fig, axes = plt.subplots(len(datasets), len(models), figsize=(2.3 * len(models), 2.1 * len(datasets) + 0.6),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    for r, dataset in enumerate(datasets):
        for c, source in enumerate(models):
            ax = axes[r, c]
            transfer_panel(ax, metrics[dataset], attack, source, models, epsilons, references.get(dataset),
                           reference_models)
            if r == 0:
                ax.set_title(f"{MODEL_LABELS[source]}\nexamples", fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{titles[dataset]}\naccuracy", fontsize=9)
            if r == len(datasets) - 1:
                ax.set_xlabel("ε")
    model_legend(fig, models, "thesis (reference §5.9)" if any(v is not None for v in references.values()) else None,
                 fontsize=8)
    return fig
