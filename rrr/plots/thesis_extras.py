"""Thesis Figures 13 (simultaneous find-another-explanation), 23 (L1 vs L2 input-gradient
defence), 24 (gradient vs Hessian regularization) and 25 (find-another-explanation in a
disentangled latent space)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rrr.plots import PALETTE, PAPER_MARKER

TRUE_BOUNDARY = "#7b3294"  # purple, as in the thesis's Figure 24
DECISION = PALETTE[2]  # green: the model's decision boundary (thesis Fig. 24)
LEVELS = (-5.0, -2.5, 0.0, 2.5, 5.0)


def _data(ax: plt.Axes, X: np.ndarray, y: np.ndarray, size: float = 3) -> None:
    for k in (0, 1):
        ax.scatter(*X[y == k].T, s=size, color=PALETTE[k], alpha=0.35, linewidths=0, label=f"class {k}")


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def _strip(ax: plt.Axes, groups: Mapping[str, Sequence[float]]) -> None:
    """Mean ± sd bars with one dot per run."""
    for i, values in enumerate(groups.values()):
        m, s = _mean_sd(values)
        ax.bar(i, m, yerr=s, color=PALETTE[i + 3], alpha=0.8, capsize=4)
        ax.scatter(np.full(len(values), i) + np.linspace(-0.15, 0.15, len(values)), values, s=10, color="0.2", zorder=4)
    ax.set_xticks(range(len(groups)), list(groups))


def fae2d_figure(surfaces: Mapping[str, np.ndarray], sequential: Mapping, joint: Mapping) -> plt.Figure:
    """Normal restarts, sequential FAE, the jointly trained pair, and their gradient |cos|."""
    X, y, t = surfaces["X"], surfaces["y"], surfaces["ticks"]
    fig, axes = plt.subplots(
        1, 4, figsize=(14, 3.8), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 1, 0.8]}
    )
    for ax in axes[:3]:
        _data(ax, X, y)
        ax.set_aspect("equal")
        ax.set(xlim=(t[0], t[-1]), ylim=(t[0], t[-1]), xlabel="x₁", ylabel="x₂")
    ax = axes[0]
    for s, surface in enumerate(surfaces["sequential"][:, 0]):
        ax.contour(t, t, surface, levels=[0], colors=[PALETTE[(s + 2) % len(PALETTE)]], linewidths=1.3)
    lo, hi = min(sequential["first_angle"]), max(sequential["first_angle"])
    ax.set_title(
        f"normal MLP, {len(surfaces['sequential'])} restarts\nboundary normals at {lo:.0f}–{hi:.0f}° (45° = diagonal)"
    )
    ax = axes[1]
    for i, style in enumerate(("-", "--")):
        ax.contour(t, t, surfaces["sequential"][0, i], levels=[0], colors=["black"], linestyles=[style], linewidths=1.5)
    ax.plot([], [], "k-", label="θ₀")
    ax.plot([], [], "k--", label="θ₁ (A = M₀.₆₇[θ₀])")
    ax.legend(loc="lower right", fontsize=7, markerscale=3)
    ax.set_title(
        f"sequential find-another-explanation\nA covers {sequential['mask_fraction'][0]:.0%} of "
        f"entries; |cos ∇θ₀, ∇θ₁| = {sequential['abs_cos'][0]:.2f}"
    )
    ax = axes[2]
    for i, color in enumerate((PALETTE[4], PALETTE[2])):
        ax.contour(t, t, surfaces["joint"][0, i], levels=[0], colors=[color], linewidths=2)
        ax.plot([], [], color=color, label=f"model {i + 1}")
    ax.legend(loc="lower right", fontsize=7, markerscale=3)
    ax.set_title(
        f"jointly trained pair, cos² penalty\n|cos ∇f₁, ∇f₂| = {joint['abs_cos'][0]:.3f}, "
        f"normals at {joint['angle_low'][0]:.0f}° and {joint['angle_high'][0]:.0f}°"
    )
    ax = axes[3]
    _strip(ax, {"sequential\n(θ₀, θ₁)": sequential["abs_cos"], "joint\n(f₁, f₂)": joint["abs_cos"]})
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean |cos| of input gradients")
    ax.set_title(f"all {len(joint['abs_cos'])} restarts (mean ± sd)")
    fig.suptitle("Thesis Fig. 13: one degree of decision-boundary freedom (quadrants I vs III)")
    return fig


def hessian_figure(
    surfaces: Mapping[str, np.ndarray],
    metrics: Mapping[str, Mapping],
    estimator: pd.DataFrame,
    shown: Sequence[float],
) -> plt.Figure:
    """Log-odds level sets (rows: penalty, columns: λ) and the Hessian-estimator check."""
    t, lambdas, extent = surfaces["ticks"], list(surfaces["lambdas"]), float(surfaces["extent"])
    fig = plt.figure(figsize=(3.0 * len(shown) + 4.2, 6.4), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[3.0 * len(shown), 4.2])
    axes = left.subplots(2, len(shown), sharex=True, sharey=True, squeeze=False)
    level_colors = [PALETTE[0], PALETTE[9], DECISION, PALETTE[3], PALETTE[1]]
    curve = np.linspace(t[0], t[-1], 400)
    for row, (name, label) in enumerate(
        (("gradient", "gradient ‖∇ₓ Σ log p̂‖²"), ("hessian", "Hessian ‖∇²ₓ Σ log p̂‖²_F"))
    ):
        m = metrics[name]
        for col, lam in enumerate(shown):
            j = lambdas.index(lam)
            ax = axes[row, col]
            ax.contour(
                t, t, surfaces[name][0, j], levels=list(LEVELS), colors=level_colors, linewidths=[1, 1, 2.2, 1, 1]
            )
            ax.plot(curve, np.sin(curve), color=TRUE_BOUNDARY, lw=1.8)
            ax.add_patch(
                plt.Rectangle((-extent, -extent), 2 * extent, 2 * extent, fill=False, ls=":", lw=0.8, color="0.4")
            )
            ax.set_aspect("equal")
            acc, _ = _mean_sd(m[f"test_accuracy_lam{lam:g}"])
            ratio, _ = _mean_sd(m[f"penalty_to_ce_at_unregularized_lam{lam:g}"])
            title = f"{name}, λ = {lam:g}\nacc {acc:.3f}" + (
                f", λΩ(θ₀)/CE(θ₀) = {ratio:.3g}" if lam else " (unregularized)"
            )
            ax.set_title(title, fontsize=8)
            if col == 0:
                ax.set_ylabel(f"{label}\nx₂", fontsize=8)
            if row == 1:
                ax.set_xlabel("x₁")
    handles = [plt.Line2D([], [], color=TRUE_BOUNDARY, lw=1.8, label="true boundary x₂ = sin x₁")]
    handles += [
        plt.Line2D([], [], color=c, lw=2.2 if v == 0 else 1, label=f"log-odds = {v:g}")
        for v, c in zip(LEVELS, level_colors)
    ]
    left.legend(handles=handles, loc="outside lower center", ncol=6, fontsize=7)
    left.suptitle("Level sets of a 10-unit softplus MLP's log-odds (seed 0; dotted: training data)", fontsize=10)

    ax = right.subplots()
    table = estimator.groupby(["sigma", "n_samples"], as_index=False).mean(numeric_only=True)
    for i, (sigma, part) in enumerate(table.groupby("sigma")):
        color = PALETTE[i + 4]
        ax.plot(
            part["n_samples"],
            part["median_pointwise_relative_error"],
            "o-",
            color=color,
            label=f"σ = {sigma:g}: per point (median)",
        )
        ax.plot(
            part["n_samples"],
            part["relative_error_of_mean"],
            "s--",
            color=color,
            label=f"σ = {sigma:g}: mean over points",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("random directions K per point")
    ax.set_ylabel("relative error vs exact ‖H‖²_F")
    ax.set_title(
        "Rifai et al.'s estimator\nE‖∇f(x+ε) − ∇f(x)‖²/σ², ε ~ N(0, σ²I)\n(unregularized models, test points)",
        fontsize=9,
    )
    ax.legend(fontsize=7)
    return fig


_NORM_LABEL = {"l1_norm": "L1", "l2_norm": "L2"}


def l1l2_attack_figure(metrics: Mapping, clean: Mapping[str, Mapping], title: str, l1_norm_factor: float) -> plt.Figure:
    """FGSM accuracy-loss matrices for the L1 and L2 nets (each with the unregularized one), and
    white-box accuracy loss against λ."""
    names, collapsed = metrics["models"], set(metrics["collapsed_models"])
    loss = np.asarray(metrics["accuracy_loss"])  # (seeds, source, target)
    mean = loss.mean(axis=0)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 1.1]})
    vmax = max(float(mean.max()), 1e-6)
    for ax, norm in zip(axes[:2], ("l1_norm", "l2_norm")):
        idx = [i for i, n in enumerate(names) if n.startswith(("none", norm))]
        labels = ["λ=0" if names[i].startswith("none") else names[i].split("_lam")[1] for i in idx]
        labels = [lab + (" †" if names[i] in collapsed else "") for lab, i in zip(labels, idx)]
        if norm == "l1_norm":
            labels = [lab if lab == "λ=0" else f"{lab} (×{l1_norm_factor:g})" for lab in labels]
        sub = mean[np.ix_(idx, idx)]
        image = ax.imshow(sub, cmap="magma_r", vmin=0, vmax=vmax)
        for (a, b), v in np.ndenumerate(sub):
            ax.text(
                b, a, f"{v:.2f}", ha="center", va="center", fontsize=8, color="white" if v > 0.6 * vmax else "black"
            )
        ax.set_xticks(range(len(idx)), labels, rotation=30, fontsize=8)
        ax.set_yticks(range(len(idx)), labels, fontsize=8)
        ax.set_xlabel("target model (scores the examples), λ")
        ax.set_ylabel("source model (FGSM crafted on it), λ")
        ax.set_title(
            f"{_NORM_LABEL[norm]} input-gradient penalty: accuracy loss\n(diagonal: white-box; off: transferred)"
        )
        ax.grid(False)
    fig.colorbar(image, ax=axes[:2], shrink=0.8, label="clean − FGSM accuracy (mean over seeds)")
    ax = axes[2]
    none_m, none_s = _mean_sd(metrics["whitebox_loss_unregularized"])
    ax.axhline(none_m, color="0.3", ls=":", label=f"unregularized ({none_m:.2f})")
    for i, norm in enumerate(("l1_norm", "l2_norm")):
        keys = [n for n in names if n.startswith(norm)]
        lams = [float(n.split("_lam")[1]) for n in keys]
        stats = [_mean_sd(metrics[f"whitebox_loss_{n}"]) for n in keys]
        xs = lams  # L1 nets were trained with l1_norm_factor·λ
        ax.errorbar(
            xs,
            [s[0] for s in stats],
            yerr=[s[1] for s in stats],
            marker="o",
            capsize=3,
            color=PALETTE[i],
            label=_NORM_LABEL[norm] + (f" (trained with {l1_norm_factor:g}·λ)" if norm == "l1_norm" else ""),
        )
        accs = [_mean_sd(clean[norm][f"clean_accuracy_lam{lam:g}"])[0] for lam in lams]
        for x, (m, _), a in zip(xs, stats, accs):
            ax.annotate(
                f"clean {a:.2f}",
                (x, m),
                textcoords="offset points",
                xytext=(4, 6 - 14 * i),
                fontsize=7,
                color=PALETTE[i],
            )
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("λ")
    ax.set_ylabel("white-box FGSM accuracy loss (mean ± sd)")
    ax.set_title(f"L1 vs L2 as a defence, ε = {metrics['epsilon']:g}")
    ax.legend(fontsize=8)
    if collapsed:
        title += (
            f"\n† collapsed: clean accuracy < {metrics['useful_fraction']:.0%} of the unregularized net's "
            "(left out of the L1-vs-L2 summaries)"
        )
    fig.suptitle(title, fontsize=10)
    return fig


def squares_figure(
    images: Mapping[str, np.ndarray],
    labels: Mapping[str, np.ndarray],
    normal: Mapping,
    diverse: Mapping,
    thesis_normal: float,
) -> plt.Figure:
    """Example images of the three splits, and accuracies of the normal and latent-space models."""
    fig = plt.figure(figsize=(13, 4.6), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.5])
    splits = [
        ("train", "train (confounded)"),
        ("test_size", "test: size decides"),
        ("test_color", "test: colour decides"),
    ]
    grid = left.subplots(len(splits), 4)
    for r, (split, title) in enumerate(splits):
        chosen = [i for k in (0, 1) for i in np.flatnonzero(labels[split] == k)[:2]]
        for c, i in enumerate(chosen):
            ax = grid[r, c]
            ax.imshow(images[split][i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"y = {labels[split][i]}", fontsize=8)
            if c == 0:
                ax.set_ylabel(title, fontsize=8)
    left.suptitle("Squares toy: class 1 = large square / light background", fontsize=9)

    ax = right.subplots()
    models = [
        ("normal MLP\n(pixels)", normal, "pixel"),
        ("normal MLP\n(latents)", normal, "latent"),
        ("latent FAE A\n(better on size)", diverse, "size_model"),
        ("latent FAE B\n(better on colour)", diverse, "color_model"),
    ]
    width = 0.38
    for k, (split, name) in enumerate((("test_size", "size test set"), ("test_color", "colour test set"))):
        for i, (_, source, prefix) in enumerate(models):
            values = source[f"{prefix}_{split}_accuracy"]
            m, s = _mean_sd(values)
            x = i + (k - 0.5) * width
            ax.bar(x, m, width, yerr=s, capsize=3, color=PALETTE[k], alpha=0.85, label=name if i == 0 else None)
            ax.scatter(np.full(len(values), x), values, s=8, color="0.2", zorder=4)
    ax.scatter(
        [-0.5 * width, 0.5 * width], [thesis_normal] * 2, s=40, label="thesis (≈75%, normal MLP)", **PAPER_MARKER
    )
    ax.axhline(0.5, color="0.4", ls=":", lw=1, label="chance")
    ax.set_xticks(range(len(models)), [m[0] for m in models])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test accuracy (mean ± sd over seeds)")
    ax.set_title("Accuracy on the two decoupled test sets")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4)
    return fig
