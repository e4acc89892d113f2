"""Figure 6's data: a test image the A = 0 model gets wrong because of the decoy, explained by
input gradients (∇p̂ of the predicted and of the true class) and by LIME image.

The example is the first test image (seed-0 model) predicted as the digit its swatch shade
encodes whose shade LIME's superpixels can tell from the background: at least
``min_swatch_contrast`` grey levels away from it (see ``fooled_example``). Also records, for every
seed, the share of the A = 0 model's test errors that predict the decoy's digit (chance: 1/9) or a
digit within one shade step of it (chance: at most 3/9).
"""


import numpy as np
import torch

from rrr.paper.decoy_mnist import (
    decoy_class,
    fooled_example,
    lime_image_explanation,
    superpixel_weights,
    swatch_shade,
)
from rrr import input_gradients, load_model, predict_proba, unstack
from rrr.pipeline.jobs import load_npz, start_job, write_json, write_npz
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
d = load_npz(sm.input.data)
xt, yt = d["Xt"], d["yt"]
decoys = decoy_class(xt, d["Et"])
shades = swatch_shade(xt, d["Et"])
stacked = load_model(sm.input.model)
predicted = predict_proba(stacked, xt).argmax(dim=-1).numpy()  # (S, N)
errors = predicted != yt
decoy_share = [float((pred[err] == decoys[err]).mean()) for pred, err in zip(predicted, errors)]
near_share = [float((np.abs(pred[err] - decoys[err]) <= 1).mean()) for pred, err in zip(predicted, errors)]

model = unstack(stacked, 0)
probs = predict_proba(model, xt).numpy()
i = fooled_example(probs, yt, decoys, shades, sm.params.min_swatch_contrast)
pred, true = int(probs[i].argmax()), int(yt[i])
x = as_tensor(xt[i : i + 1])
grads = {k: input_gradients(model, x, "prob", target=k)[0].numpy() for k in (pred, true)}


def predict(images: np.ndarray) -> np.ndarray:
    return predict_proba(model, torch.as_tensor(images, dtype=torch.float32)).numpy()


explanation = lime_image_explanation(predict, xt[i], sm.params.lime, labels=(pred, true))
write_npz(
    sm.output.explanations,
    code=sm.params.code,
    index=i,
    image=xt[i],
    label=true,
    predicted=pred,
    decoy=decoys[i],
    shade=shades[i],
    probabilities=probs[i],
    gradient_predicted=grads[pred],
    gradient_true=grads[true],
    segments=explanation.segments,
    lime_predicted=superpixel_weights(explanation, pred),
    lime_true=superpixel_weights(explanation, true),
)
write_json(
    {
        "seeds": list(sm.params.seeds),
        "example_index": i,
        "decoy_error_share": decoy_share,
        "decoy_within_one_shade_error_share": near_share,
        "test_error": errors.mean(axis=1).tolist(),
    },
    sm.output.metrics,
)
