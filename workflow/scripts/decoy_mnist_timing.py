"""Table 1, Decoy MNIST: CPU seconds per explanation, LIME image (reference §3 settings) vs input
gradients (one batched ∇ max p̂ call over the whole test set), for the seed-0 A = 0 model."""

import numpy as np
import torch

from rrr.paper.decoy_mnist import lime_image_explanation
from rrr import load_model, predict_proba, unstack
from rrr.pipeline.jobs import load_npz, start_job, write_json
from rrr.paper.timing import cpu_seconds_per_call, gradient_seconds_per_explanation, timed_repeats, timing_record
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
settings, n_lime = sm.params.lime, sm.params.n_lime
d = load_npz(sm.input.data)
model = unstack(load_model(sm.input.model), 0)


def predict(images: np.ndarray) -> np.ndarray:
    return predict_proba(model, torch.as_tensor(images, dtype=torch.float32)).numpy()


repeats = sm.params.repeats
lime_seconds, _ = timed_repeats(
    lambda: cpu_seconds_per_call(lambda row: lime_image_explanation(predict, row, settings), d["Xt"][:n_lime]), repeats
)
x = as_tensor(d["Xt"])
gradient_seconds, _ = timed_repeats(lambda: gradient_seconds_per_explanation(model, x, "max_prob"), repeats)

write_json(
    {
        **timing_record("lime", lime_seconds),
        **timing_record("gradient", gradient_seconds),
        "repeats": repeats,
        "n_lime": n_lime,
        "n_gradient": len(x),
        "explainer": (
            f"LimeImageExplainer(); quickshift(kernel_size={settings['kernel_size']}, max_dist={settings['max_dist']}, "
            f"ratio={settings['ratio']}), top_labels={settings['top_labels']}, hide_color={settings['hide_color']}, "
            f"num_samples={settings['num_samples']}, batch_size={settings['batch_size']}"
        ),
        "dimension": int(x.shape[1]),
        "threads": sm.threads,
    },
    sm.output[0],
)
