"""LIME vs input gradients on Toy Color (Figure 2, Table 1; reference §3).

LimeTabularExplainer on the test set Xt (quartile discretization, feature names 0..74, classes
[0, 1]); explain_instance(x, predict_proba, top_labels=1) with 10 features and 5000 samples for
Xt[0:25], timed with time.process_time() as the authors' time.clock(). Gradients ∇ max p̂ of the
same rows come from one batched call. The explained model is seed 0 of the plain (A = 0) stack.
The dense LIME weights are cached for Figure 2, and the JSON also records, per image, the
corner share of each method's Figure-2 dots and their overlap.
"""


import numpy as np
from lime.lime_tabular import LimeTabularExplainer

from rrr import load_model, predict_proba, unstack
from rrr.data import corner_mask
from rrr.pipeline.jobs import load_npz, start_job, write_json, write_npz
from rrr.paper.timing import cpu_seconds_per_call, gradient_seconds_per_explanation, timed_repeats, timing_record
from rrr.paper.toy_color import gradient_pixels, lime_pixels, region_share
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
settings = sm.params.lime
d = load_npz(sm.input.data)
Xt = d["Xt"]
rows = Xt[: settings["n_explained"]]
model = unstack(load_model(sm.input.model), 0)


def predict(x: np.ndarray) -> np.ndarray:
    return predict_proba(model, x).numpy().astype(np.float64)


explainer = LimeTabularExplainer(
    Xt.astype(np.float64), feature_names=[str(i) for i in range(Xt.shape[1])], class_names=[0, 1],
    discretize_continuous=True, random_state=settings["random_state"],
)
repeats = sm.params.repeats
lime_seconds, explanations = timed_repeats(
    lambda: cpu_seconds_per_call(
        lambda row: explainer.explain_instance(
            row.astype(np.float64), predict, top_labels=1,
            num_features=settings["num_features"], num_samples=settings["num_samples"],
        ),
        rows,
    ),
    repeats,
)
weights = np.zeros(rows.shape, dtype=np.float64)
labels = np.array([e.available_labels()[0] for e in explanations], dtype=np.int64)
for i, explanation in enumerate(explanations):
    for feature, weight in explanation.as_map()[labels[i]]:
        weights[i, feature] = weight
gradient_seconds, gradients = timed_repeats(
    lambda: gradient_seconds_per_explanation(model, as_tensor(rows), "max_prob"), repeats
)

# Figure 2's dots: do both methods point at the corners, and at the same pixels?
dots_lime = lime_pixels(weights, settings["top_features"])
dots_gradient = gradient_pixels(gradients.numpy(), sm.params.cutoff)
overlap = (dots_lime & dots_gradient).sum(axis=1) / np.maximum((dots_lime | dots_gradient).sum(axis=1), 1)

write_npz(
    sm.output.lime,
    code=sm.params.code,
    images=rows,
    lime_weights=weights,
    lime_labels=labels,
    gradients=gradients.numpy(),
)
write_json(
    {
        **timing_record("lime", lime_seconds),
        **timing_record("gradient", gradient_seconds),
        "repeats": repeats,
        "n_lime": len(rows),
        "n_gradient": len(rows),
        "explainer": (
            "LimeTabularExplainer(Xt, discretize_continuous=True, quartile), feature names 0..74, classes [0, 1]; "
            f"top_labels=1, num_features={settings['num_features']}, num_samples={settings['num_samples']}"
        ),
        "dimension": int(Xt.shape[1]),
        "threads": sm.threads,
        # Per explained image (Figure 2): corner share of each method's dots and their Jaccard overlap.
        "lime_corner_share": region_share(dots_lime, corner_mask()).tolist(),
        "gradient_corner_share": region_share(dots_gradient, corner_mask()).tolist(),
        "lime_gradient_pixel_overlap": overlap.tolist(),
    },
    sm.output.timing,
)
