"""Figure 10 (middle): find-another-explanation on 20 Newsgroups.

Top: the words of M_0.67[∇p̂ | θ_i] (all 5000 components, as the reference's word table) on one
test document under θ0 … θ_{shown−1}, seed 0; blue supports soc.religion.christian, orange
alt.atheism. Bottom: train and test accuracy per round, mean ± sd over seeds.
"""

import matplotlib.pyplot as plt
import numpy as np

from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.newsgroups import draw_fae_accuracy, draw_fae_words
from rrr.paper.newsgroups import top_words

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
text = read_json(sm.input.text)
names, vocabulary = text["target_names"], text["vocabulary"]
metrics, cached = read_json(sm.input.metrics), load_npz(sm.input.gradients)
n_seeds, toward = len(metrics["seeds"]), int(cached["toward"])
shown = min(sm.params.shown_rounds, metrics["rounds"])

columns = []
for i in range(shown):
    member = i * n_seeds  # round-major stack: round i, first seed
    predicted = names[int(cached["probabilities"][member, 0].argmax())]
    pos, neg = top_words(
        cached["gradients"][member, 0], vocabulary, cutoff=metrics["cutoff"], max_words=sm.params.max_words
    )
    columns.append((f"θ{i}\n(predicts {predicted.split('.')[-1]})", pos, neg))

fig = plt.figure(figsize=(10, 6.0), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1])
draw_fae_words(top.subplots(), columns, positive=names[toward], negative=names[1 - toward])
top.suptitle(
    f"Largest input gradients (M$_{{{metrics['cutoff']}}}$) on test document {cached['rows'][0]}, seed "
    f"{metrics['seeds'][0]}; θ$_i$ trained with λ$_1$ = {metrics['l1']:g} on A = ∪$_{{j<i}}$ M[θ$_j$]",
    fontsize=10,
)
ax = bottom.subplots()
draw_fae_accuracy(
    ax,
    np.array(metrics["train_accuracy_by_round"]),
    np.array(metrics["test_accuracy_by_round"]),
    paper_test_theta0=sm.params.paper_test,
)
ax.set_title("20 Newsgroups: accuracy of each find-another-explanation model")
save_figure(fig, sm.output[0], sm.output[1])
