"""Figure 2: input-gradient (M_0.67 of ∇ max p̂) vs LIME (top-6 features) explanations of nine
Toy-Color test images, for seed 0 of the A = 0 model."""

import matplotlib.pyplot as plt
import numpy as np

from rrr.pipeline.jobs import load_npz, read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.toy_color import explanation_grid
from rrr.paper.toy_color import gradient_pixels, lime_pixels

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
p = sm.params
n = p.n_images
cached = load_npz(sm.input.lime)  # both explanations of the same test images, from the Table 1 run
if len(cached["images"]) < n:
    raise ValueError(f"Figure 2 draws {n} images but LIME explained {len(cached['images'])}: raise lime.n_explained.")
accuracy = read_json(sm.input.metrics)["test_accuracy"][0]
ncols = int(np.ceil(np.sqrt(n)))
fig = plt.figure(figsize=(6.4, 3.6), layout="constrained")
left, right = fig.subfigures(1, 2, wspace=0.06)
explanation_grid(left, cached["images"][:n], gradient_pixels(cached["gradients"][:n], p.cutoff), ncols,
                 f"Input gradients: $M_{{{p.cutoff}}}[f_X]$")
explanation_grid(right, cached["images"][:n], lime_pixels(cached["lime_weights"][:n], p.top_features), ncols,
                 f"LIME: top {p.top_features} features")
fig.suptitle(f"Toy Color, A = 0 model (seed 0, test accuracy {accuracy:.4f}); dots mark the selected pixels",
             fontsize=9, y=1.04)
save_figure(fig, sm.output[0], sm.output[1])
