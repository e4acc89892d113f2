"""Iris-Cancer figures (paper Figures 7, 8 and 10 top): per-feature explanation bars with the
Iris columns shaded, histograms over random splits, and find-another-explanation curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from rrr.plots import NEGATIVE, PALETTE, PAPER_MARKER, POSITIVE

IRIS_SPAN = (-0.5, 3.5)  # columns 0-3, as bar edges
IRIS_COLOR = PALETTE[4]
CONDITION_LABELS = {"plain": "A = 0", "annotated": "full A (Iris)"}
CONDITION_COLORS = {"plain": PALETTE[0], "annotated": PALETTE[2]}


def explanation_bars(ax: plt.Axes, weights: np.ndarray) -> None:
    """One bar per input dimension, blue where positive and orange where negative, with the
    Iris columns (0-3) shaded."""
    weights = np.asarray(weights, dtype=float)
    ax.axvspan(*IRIS_SPAN, color=IRIS_COLOR, alpha=0.22, lw=0, label="Iris features (d = 0-3)")
    ax.bar(np.arange(len(weights)), weights, width=0.8, color=[POSITIVE if w > 0 else NEGATIVE for w in weights])
    ax.axhline(0, color="0.3", lw=0.6)
    ax.set_xlim(-0.8, len(weights) - 0.2)
    ax.set_xticks(np.arange(0, len(weights), 5))
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))


def iris_share(weights: np.ndarray) -> float:
    """Fraction of Σ|w| on the Iris columns."""
    magnitude = np.abs(np.asarray(weights, dtype=float))
    return float(magnitude[:4].sum() / magnitude.sum()) if magnitude.sum() > 0 else 0.0


def lime_vs_gradient_figure(
    y: np.ndarray,
    rows: Sequence[int],
    probabilities: np.ndarray,
    gradients: np.ndarray,
    lime: np.ndarray,
    usage: float,
    reference_usage: float,
) -> plt.Figure:
    """Figure 7: for each drawn training row, ∂p̂_y/∂x_d (left) and LIME's weights for class y (right).

    ``gradients`` is (class, row, feature) over all rows; ``lime`` is (drawn row, class, feature);
    ``usage`` is the model's Iris share of M_0.67[f_X] over all training rows (the reference's
    model: ``reference_usage``).
    """
    fig, axes = plt.subplots(len(rows), 2, figsize=(9, 2.3 * len(rows)), layout="constrained", squeeze=False)
    for i, row in enumerate(rows):
        label = int(y[row])
        left, right = axes[i]
        explanation_bars(left, gradients[label, row])
        left.set_title(
            f"training row {row} (y = {label}, p̂_{label} = {probabilities[row, label]:.2f}): input gradient",
        )
        left.set_ylabel(f"∂p̂_{label} / ∂x_d")
        explanation_bars(right, lime[i, label])
        right.set_title(f"LIME (continuous), class {label}")
        right.set_ylabel("LIME weight")
        for ax, w in ((left, gradients[label, row]), (right, lime[i, label])):
            ax.text(
                0.99,
                0.04,
                f"Iris share of Σ|w|: {iris_share(w):.0%}",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
                color="0.25",
                bbox={"facecolor": "white", "alpha": 0.85, "linewidth": 0, "pad": 1.5},
            )
    for ax in axes[-1]:
        ax.set_xlabel("input dimension d")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", fontsize=8)
    fig.suptitle(
        "Iris-Cancer: input gradients vs. LIME\n"
        f"(this A = 0 model puts {usage:.0%} of M_0.67[f_X] over its training rows on Iris; "
        f"the reference's: {reference_usage:.0%})",
        fontsize=10,
    )
    return fig


def accuracy_bins(n_test: int, low: float = 0.5) -> np.ndarray:
    """Histogram edges centred on the attainable accuracies k / n_test, from ``low`` to 1."""
    k = np.arange(int(np.floor(low * n_test)), n_test + 1)
    return np.append(k - 0.5, n_test + 0.5) / n_test


def _overlaid_hist(
    ax: plt.Axes, values: Mapping[str, Sequence[float]], bins: np.ndarray, paper: Mapping[str, float | None]
) -> None:
    for condition, v in values.items():
        v = np.asarray(v, dtype=float)
        color = CONDITION_COLORS[condition]
        label = f"{CONDITION_LABELS[condition]}: {v.mean():.3f} ± {v.std(ddof=1):.3f}"
        ax.hist(v, bins=bins, alpha=0.5, color=color, label=label)
        ax.axvline(v.mean(), color=color, ls="--", lw=1.2)
    for condition, p in paper.items():
        if p is not None:
            ax.scatter(
                [p], [ax.get_ylim()[1] * 0.97], s=36, label=f"paper mean, {CONDITION_LABELS[condition]}", **PAPER_MARKER
            )
    ax.set_ylim(top=ax.get_ylim()[1] * 1.45)  # room for the legend above the bars
    ax.legend(loc="upper left", fontsize=7, title="mean ± sd over splits", title_fontsize=7)


def iris_usage_figure(
    metrics: Mapping[str, Mapping], n_test: int, paper: Mapping[str, Mapping[str, float | None]]
) -> plt.Figure:
    """Figure 8: over random splits, the Iris share of M_c[f_X] and test accuracy with Iris
    in and with Iris zeroed, A = 0 vs full A overlaid.

    ``metrics`` maps condition -> metrics JSON; ``paper`` maps metric key -> {condition: value}.
    """
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
    lowest = min(min(m[k]) for m in metrics.values() for k in ("test_accuracy", "test_iris_out_accuracy"))
    bins = accuracy_bins(n_test, min(0.5, lowest))
    panels = [
        ("iris_usage", np.linspace(0, 1, 26), "fraction of M_0.67[f_X] in Iris columns", "Iris explanation fraction"),
        ("test_accuracy", bins, "test accuracy", "Test accuracy (Iris in)"),
        ("test_iris_out_accuracy", bins, "test accuracy", "Test accuracy (Iris out)"),
    ]
    for ax, (key, bins, xlabel, title) in zip(axes, panels):
        _overlaid_hist(ax, {c: m[key] for c, m in metrics.items()}, bins, paper.get(key, {}))
        ax.set_xlabel(xlabel)
        ax.set_title(title)
    axes[0].set_ylabel("number of splits")
    n_splits = len(next(iter(metrics.values()))["test_accuracy"])
    fig.suptitle(f"Overcoming the Iris confound ({n_splits} random 2/3-1/3 splits)", fontsize=11)
    return fig


def _mean_sd_line(ax: plt.Axes, values: np.ndarray, **kwargs: object) -> None:
    """Mean ± sd over trials (axis 1) against the iteration (axis 0)."""
    ax.errorbar(np.arange(len(values)), values.mean(axis=1), yerr=values.std(axis=1, ddof=1), capsize=3, **kwargs)


def fae_figure(
    gradients: np.ndarray,
    labels: Sequence[int],
    rows: Sequence[int],
    trial: int,
    metrics: Mapping,
    paper_usage: Sequence[float],
) -> plt.Figure:
    """Figure 10 (top panel): find-another-explanation on Iris-Cancer.

    Top: ∇ max p̂ of θ0..θ_{R-1} on the drawn rows of one trial (``gradients`` is (round, row,
    feature)). Bottom: mean ± sd over trials of train and Iris-zeroed test accuracy, and of
    the Iris share of M_c[f_X], against the iteration.
    """
    rounds = gradients.shape[0]
    fig = plt.figure(figsize=(2.0 * rounds, 2.0 * len(rows) + 3.2), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.25 * len(rows), 3.0])
    axes = top.subplots(len(rows), rounds, squeeze=False)
    for j in range(rounds):
        for i, (row, label) in enumerate(zip(rows, labels)):
            ax = axes[i, j]
            explanation_bars(ax, gradients[j, i])
            ax.tick_params(labelsize=7)
            ax.yaxis.get_offset_text().set_fontsize(7)
            if i == 0:
                ax.set_title(f"θ{j}" + (" (A = 0)" if j == 0 else ""))
            if j == 0:
                ax.set_ylabel(f"row {row} (y = {label})\n∇ max p̂", fontsize=8)
            if i == len(rows) - 1:
                ax.set_xlabel("input dimension d", fontsize=8)
    top.suptitle(f"∇ max p̂ of each iteration's model (trial {trial}; Iris features d = 0-3 shaded)", fontsize=10)

    left, right = bottom.subplots(1, 2)
    per_round = {
        key: np.array([metrics[f"{key}_round{i}"] for i in range(rounds)])
        for key in ("train_accuracy", "test_accuracy", "iris_usage")
    }
    n_trials = per_round["train_accuracy"].shape[1]
    _mean_sd_line(left, per_round["train_accuracy"], marker="^", color=PALETTE[0], label="train")
    _mean_sd_line(left, per_round["test_accuracy"], marker="o", color=PALETTE[1], label="test (Iris zeroed)")
    left.axhline(1, color="0.5", ls="--", lw=0.8)
    left.set_ylim(0.4, 1.05)
    left.set_ylabel("accuracy")
    left.set_title(f"Accuracy (mean ± sd over {n_trials} trials)")
    _mean_sd_line(right, per_round["iris_usage"], marker="s", color=PALETTE[4], label="this run")
    right.scatter(np.arange(len(paper_usage)), paper_usage, s=30, label="reference (printed means)", **PAPER_MARKER)
    right.set_ylim(bottom=0)
    right.set_ylabel("fraction of M_0.67[f_X] in Iris columns")
    right.set_title("Iris usage (training rows)")
    for ax in (left, right):
        ax.set_xlabel("find-another-explanation iteration")
        ax.set_xticks(np.arange(rounds))
        ax.legend(fontsize=8, loc="lower right" if ax is left else "upper right")
    fig.suptitle("Find-another-explanation on Iris-Cancer", fontsize=11)
    return fig
