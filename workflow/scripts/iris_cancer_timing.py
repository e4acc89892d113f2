"""Table 1, Iris-Cancer: CPU seconds per explanation, LIME tabular vs input gradients, for one
split's A = 0 model on its 67 training rows, timed with time.process_time() as the authors'
time.clock(). Table 1 uses the continuous variant (b) the paper names; the quartile-discretized
variant (a) is timed too and recorded under ``discretized``."""

import numpy as np

from rrr.paper.iris_cancer import lime_tabular, lime_weights
from rrr import load_model, predict_proba, unstack
from rrr.pipeline.jobs import load_npz, start_job, write_json
from rrr.paper.timing import cpu_seconds_per_call, gradient_seconds_per_explanation, timed_repeats, timing_record
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
settings, split = sm.params.lime, sm.params.split
d = load_npz(sm.input.data)
x = d["Xtr"][split]
model = unstack(load_model(sm.input.model), split)


def predict(rows: np.ndarray) -> np.ndarray:
    return predict_proba(model, rows).numpy()


def lime_seconds(discretize: bool, n: int) -> float:
    """Seconds per explanation of class 0, as the reference's ``labels=[0]`` pass."""
    explainer = lime_tabular(x, settings, discretize=discretize)
    return cpu_seconds_per_call(lambda row: lime_weights(explainer, predict, row, 0, settings), x[:n])[0]


n_lime = min(settings["n_timed"] or len(x), len(x))
repeats = sm.params.repeats
continuous, _ = timed_repeats(lambda: (lime_seconds(False, n_lime), None), repeats)
gradient, _ = timed_repeats(lambda: gradient_seconds_per_explanation(model, as_tensor(x), "prob", target=0), repeats)
result = {
    **timing_record("lime", continuous),
    **timing_record("gradient", gradient),
    "repeats": repeats,
    "n_lime": n_lime,
    "n_gradient": len(x),
    "explainer": (
        f"LimeTabularExplainer(discretize_continuous=False); labels=[0], "
        f"num_features={settings['num_features']}, num_samples={settings['num_samples']}"
    ),
    "dimension": int(x.shape[1]),
    "threads": sm.threads,
}
n_discretized = min(settings["n_timed_discretized"], len(x))
if n_discretized:
    result["discretized"] = {
        "lime_seconds_per_explanation": lime_seconds(True, n_discretized),
        "n_lime": n_discretized,
        "explainer": (
            "LimeTabularExplainer(discretize_continuous=True, quartile), feature names 0..33, classes [0, 1]; "
            "labels=[0] (the reference used top_labels=1: one label, the same work)"
        ),
        "reference_seconds_per_explanation": sm.params.reference_discretized_seconds,
    }
write_json(result, sm.output[0])
