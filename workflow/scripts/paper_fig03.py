"""Figure 3: fraction of M_0.67 pixels on the corners / top middle (and test accuracy) as λ1 grows
with A = corners on every row (left), and as the number of annotated rows grows with λ1 = 1000,
with ordinary minibatches (middle) and with the annotated rows in every minibatch (right)."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.pipeline.jobs import read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.toy_color import rule_shares

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()


def per_value(run: dict, key: str) -> np.ndarray:
    """(values, seeds) array of one metric of a sweep."""
    return np.asarray(run[key], dtype=float).reshape(len(run["values"]), len(run["seeds"]))


KEYS = {"corners": "rule1_score", "top_middle": "rule2_score", "accuracy": "test_accuracy"}


def draw(ax, runs: list[dict]) -> int:
    """One panel from one sweep (or several single-value runs); returns the number of seeds."""
    x = np.concatenate([r["values"] for r in runs])
    curves = {name: np.concatenate([per_value(r, key) for r in runs]) for name, key in KEYS.items()}
    n_seeds = curves["corners"].shape[1]
    spread = {name: c.std(axis=1, ddof=1) for name, c in curves.items()} if n_seeds > 1 else None
    rule_shares(ax, x, *(curves[name].mean(axis=1) for name in KEYS), spread=spread)
    return n_seeds


l1_sweep, count_sweep = read_json(sm.input.l1_sweep), read_json(sm.input.count_sweep)
always = sorted((read_json(path) for path in sm.input.always_include), key=lambda r: r["values"][0])
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained", sharey=True)
draw(axes[0], [l1_sweep])
axes[0].set_xlabel("explanation penalty λ1")
axes[0].set_ylabel("fraction of $M_{0.67}$ pixels / accuracy")
axes[0].set_title("A = corners on every row")
draw(axes[1], [count_sweep])
axes[1].set_xlabel("annotated rows n (A = corners, λ1 = 1000)")
axes[1].set_title("ordinary minibatches")
n_seeds = draw(axes[2], always)
axes[2].set_xlabel("annotated rows n (A = corners, λ1 = 1000)")
axes[2].set_title(f"annotated rows in every minibatch\n(mean ± sd over {n_seeds} seeds)")
axes[2].set_xlim(axes[1].get_xlim())
axes[0].legend(loc="center left", fontsize=8)
fig.suptitle("Toy Color: implicit rule transitions (shares on 1000 test images)", fontsize=10)
save_figure(fig, sm.output[0], sm.output[1])
