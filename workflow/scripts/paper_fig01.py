"""Figure 1: probability and log-probability input gradients of 2D MLPs over their decision regions."""

import numpy as np

from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.toy2d import gradient_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
names = {"two-class": "two classes", "three-class": "three classes"}
titles = []
for dataset, path in zip(sm.params.datasets, sm.input.metrics):
    acc = read_json(path)["train_accuracy"]
    sd = np.std(acc, ddof=1) if len(acc) > 1 else 0.0
    titles.append(
        f"{names[dataset]}: train accuracy {np.mean(acc):.4f} ± {sd:.4f} ({len(acc)} seeds; arrows: seed 0)\n"
        f"reference notebook: {sm.params.paper_train[dataset]}"
    )
fig = gradient_figure([dict(load_npz(p)) for p in sm.input.gradients], titles)
save_figure(fig, sm.output[0], sm.output[1])
