"""Decoy-MNIST figures of the paper: a decoy-fooled prediction explained (Fig. 6), find-another-
explanation over rounds and λ1 (Fig. 10, bottom) and the λ1 cross-validation (Fig. 11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from skimage.segmentation import find_boundaries

from rrr.data.decoy_mnist import SIDE
from rrr.plots import NEGATIVE, PALETTE, PAPER_MARKER, POSITIVE, gradient_overlay
from rrr.plots.toy2d import SUBSCRIPTS

TRAIN_STYLE = {"marker": "^", "linestyle": "--"}
TEST_STYLE = {"marker": "o", "linestyle": "-"}


def _superpixel_overlay(ax: plt.Axes, image: np.ndarray, segments: np.ndarray, weights: np.ndarray,
                        max_alpha: float = 0.6, upsample: int = 8) -> None:
    """The digit with LIME's superpixel weights on top (blue positive, orange negative, opacity
    ∝ |w|, at most ``max_alpha`` so the digit stays visible) and thin superpixel borders."""
    ax.imshow(np.asarray(image).reshape(SIDE, SIDE), cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    peak = np.abs(weights).max()
    rgba = np.zeros((SIDE, SIDE, 4))
    rgba[..., :3] = np.where((weights > 0)[..., None], POSITIVE, NEGATIVE)
    rgba[..., 3] = max_alpha * np.abs(weights) / peak if peak > 0 else 0
    ax.imshow(rgba, interpolation="nearest")
    fine = np.kron(segments, np.ones((upsample, upsample), dtype=segments.dtype))
    edges = np.zeros((*fine.shape, 4))
    edges[find_boundaries(fine, mode="inner")] = (0.2, 0.2, 0.2, 0.8)
    ax.imshow(edges, extent=(-0.5, SIDE - 0.5, SIDE - 0.5, -0.5), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def fooled_example_figure(c: Mapping[str, np.ndarray]) -> plt.Figure:
    """Figure 6: the image and the model's probabilities (left); ∇p̂_k (top) and LIME superpixel
    weights (bottom) for the predicted class and the true class."""
    pred, true, decoy = int(c["predicted"]), int(c["label"]), int(c["decoy"])
    fig = plt.figure(figsize=(8.2, 5.0), layout="constrained")
    grid = fig.add_gridspec(2, 3, width_ratios=[1.15, 1, 1])
    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(np.asarray(c["image"]).reshape(SIDE, SIDE), cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    shade = f" {int(c['shade'])}" if "shade" in c else ""
    ax.set_title(f"test image {int(c['index'])}: y = {true}\nswatch shade{shade} encodes {decoy}")
    ax = fig.add_subplot(grid[1, 0])
    colors = [PALETTE[1] if k == pred else PALETTE[0] if k == true else "0.7" for k in range(10)]
    ax.bar(np.arange(10), c["probabilities"], color=colors)
    ax.set_xticks(np.arange(10))
    ax.set_ylim(0, 1)
    ax.set_xlabel("class k")
    ax.set_ylabel("p̂ₖ (A = 0 model)")
    ax.set_title(f"predicts {pred} (p̂ = {c['probabilities'][pred]:.2f})")
    rows = [("gradient", "input gradient ∇p̂{k}"), ("lime", "LIME superpixel weights, class {k}")]
    for j, (k, which) in enumerate([(pred, "predicted"), (true, "true")]):
        for i, (kind, title) in enumerate(rows):
            ax = fig.add_subplot(grid[i, j + 1])
            if kind == "gradient":
                gradient_overlay(ax, c["image"], c[f"gradient_{which}"])
            else:
                _superpixel_overlay(ax, c["image"], c["segments"], c[f"lime_{which}"])
            ax.set_title(f"{title.format(k=SUBSCRIPTS[k] if kind == 'gradient' else k)}\n({which} class)")
    fig.suptitle("A decoy-fooled prediction of the A = 0 model (blue raises, orange lowers p̂ₖ)")
    return fig


def _tile(images: np.ndarray, gradients: np.ndarray, power: float) -> tuple[np.ndarray, np.ndarray]:
    """2×2 tiles of four images and their gradients, each gradient scaled to max 1 and
    raised to ``power`` (opacity = magnitude ratio cubed, as in the paper's Figure 10)."""
    peak = np.abs(gradients).max(axis=1, keepdims=True)
    g = np.sign(gradients) * (np.abs(gradients) / np.where(peak > 0, peak, 1)) ** power

    def tile(a: np.ndarray) -> np.ndarray:
        a = a.reshape(2, 2, SIDE, SIDE)
        return np.concatenate([np.concatenate(list(row), axis=1) for row in a], axis=0)

    return tile(images.astype(float)), tile(g)


def fae_figure(
    cached: Mapping[str, np.ndarray],
    accuracies: Mapping[str, np.ndarray],
    baseline_test: Sequence[float],
    seed_index: int = 0,
    power: float = 3.0,
) -> plt.Figure:
    """Figure 10 (bottom): explanations of θ0…θR on four test images for each λ1 (rows), and
    train/test accuracy vs iteration (mean ± sd over seeds) per λ1 against the MNIST baseline.

    ``accuracies`` holds ``train`` and ``test`` arrays of shape (rounds, n_l1, n_seeds).
    """
    l1, grads, images = cached["l1"], cached["gradients"], cached["images"]
    n_rounds, n_l1 = grads.shape[0], grads.shape[1]
    fig = plt.figure(figsize=(1.45 * n_rounds + 1.2, 1.5 * n_l1 + 3.0), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.5 * n_l1, 2.7])
    axes = np.atleast_2d(top.subplots(n_l1, n_rounds, squeeze=False))
    for i in range(n_l1):
        for r in range(n_rounds):
            tile_img, tile_grad = _tile(images[:4], grads[r, i, seed_index, :4], power)
            ax = axes[i, r]
            gradient_overlay(ax, tile_img, tile_grad, side=2 * SIDE)
            if i == 0:
                ax.set_title(f"f_X | θ{r}" + (" (A = 0)" if r == 0 else ""))
            if r == 0:
                ax.set_ylabel(f"λ1 = {l1[i]:.0e}".replace("e+0", "e"))
    top.suptitle("∇ max p̂ on test images 0–3 (seed 0; opacity = magnitude ratio cubed)")

    axes = bottom.subplots(1, n_l1, sharey=True, squeeze=False)[0]
    rounds = np.arange(n_rounds)
    base = float(np.mean(baseline_test))
    lowest = min(float(np.min(accuracies["test"])), float(np.min(accuracies["train"])), base)
    for i, ax in enumerate(axes):
        for key, style, color in (("train", TRAIN_STYLE, PALETTE[0]), ("test", TEST_STYLE, PALETTE[1])):
            values = accuracies[key][:, i, :]
            sd = values.std(axis=1, ddof=1) if values.shape[1] > 1 else np.zeros(n_rounds)
            ax.errorbar(rounds, values.mean(axis=1), yerr=sd, color=color, capsize=3, label=key, **style)
        ax.axhline(base, color="0.3", linestyle=":", label=f"MNIST baseline, test ({base:.3f})")
        ax.set_title(f"λ1 = {l1[i]:.0e}".replace("e+0", "e"))
        ax.set_xticks(rounds)
        ax.set_ylim(min(0.4, lowest - 0.05), 1.02)
    axes[0].set_ylabel(f"accuracy (mean ± sd, {accuracies['test'].shape[2]} seeds)")
    bottom.supxlabel("find-another-explanation iteration")
    handles, labels = axes[0].get_legend_handles_labels()
    bottom.legend(handles, labels, loc="outside right center", fontsize=8)
    return fig


def crossval_figure(
    l1: np.ndarray,
    accuracies: Mapping[str, np.ndarray],
    ratio: np.ndarray,
    paper_test: Mapping[float, float],
    band: float = 10.0,
) -> plt.Figure:
    """Figure 11: train / validation / test accuracy vs λ1 (mean ± sd over seeds; the reference's
    test accuracies as diamonds) and, on the right axis, the first-minibatch ratio
    λ1·right-reasons / right-answers. Shaded: λ1 where that ratio is within ``band`` of 1.

    ``accuracies`` maps a split name to an array (n_l1, n_seeds); ``ratio`` is (n_l1, n_seeds).
    """
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    for (name, values), color, marker in zip(accuracies.items(), PALETTE, ("^", "s", "o")):
        sd = values.std(axis=1, ddof=1) if values.shape[1] > 1 else np.zeros(len(l1))
        ax.errorbar(l1, values.mean(axis=1), yerr=sd, color=color, marker=marker, capsize=3, label=name)
    ax.scatter(list(paper_test), list(paper_test.values()), s=28, label="reference test", **PAPER_MARKER)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("λ1 (explanation penalty)")
    ax.set_ylabel("accuracy (mean ± sd over seeds)")

    mean_ratio = np.exp(np.log(ratio).mean(axis=1))
    log_l1, log_ratio = np.log10(l1), np.log10(mean_ratio)
    inside = np.interp([-np.log10(band), np.log10(band)], log_ratio, log_l1)
    ax.axvspan(*(10.0**inside), color=PALETTE[8], alpha=0.2, label=f"ratio within {band:g}× of 1")
    right = ax.twinx()
    right.plot(l1, mean_ratio, color="0.35", marker=".", linestyle=":", label="initial λ1·RR / RA")
    right.axhline(1.0, color="0.35", linewidth=0.8)
    right.set_yscale("log")
    right.set_ylabel("λ1 · right reasons / right answers\n(first minibatch)")
    right.grid(False)
    handles = ax.get_legend_handles_labels()
    extra = right.get_legend_handles_labels()
    ax.legend(handles[0] + extra[0], handles[1] + extra[1], loc="lower left", fontsize=7.5)
    ax.set_title("Cross-validating λ1 on Decoy MNIST")
    return fig
