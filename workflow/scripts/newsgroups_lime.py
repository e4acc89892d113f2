"""LIME text explanations (reference §3) of the explained test documents for every seed's A = 0
model, and how often LIME's words and the input gradients agree in sign."""

import numpy as np
from lime.lime_text import LimeTextExplainer

from rrr import load_model, unstack
from rrr.pipeline.jobs import load_npz, read_json, start_job, write_json
from rrr.paper.newsgroups import (
    document_word_weights,
    lime_word_weights,
    rebuild_vectorizer,
    sign_agreement,
    text_classifier,
)

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
text = read_json(sm.input.text)
vectorizer = rebuild_vectorizer(text["vocabulary"], text["idf"])
cached = load_npz(sm.input.gradients)
rows, toward = cached["rows"].tolist(), int(cached["toward"])
stacked = load_model(sm.input.model)
seeds, settings = list(sm.params.seeds), sm.params.lime

explanations, agreement = {}, []
for s, seed in enumerate(seeds):
    classify = text_classifier(unstack(stacked, s), vectorizer)
    explainer = LimeTextExplainer(class_names=text["target_names"], random_state=settings["seed"])
    per_row, fractions = {}, []
    for j, row in enumerate(rows):
        label, weights = lime_word_weights(
            explainer,
            classify,
            text["test_texts"][row],
            toward=toward,
            num_features=settings["num_features"],
            num_samples=settings["num_samples"],
        )
        per_row[str(row)] = {"label": label, "weights": weights}
        gradient = document_word_weights(cached["gradients"][s, j], cached["inputs"][j], text["vocabulary"])
        fractions.append(sign_agreement(weights, gradient))
    explanations[str(seed)] = per_row
    agreement.append(float(np.nanmean(fractions)))

write_json(
    {"seeds": seeds, "rows": rows, "toward": toward, "settings": dict(settings), "explanations": explanations},
    sm.output.explanations,
)
write_json({"seeds": seeds, "rows": rows, "sign_agreement": agreement}, sm.output.metrics)
