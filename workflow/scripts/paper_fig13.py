"""Figure 13 (Appendix C): longer test documents, input gradients vs LIME (seed 0's A = 0 model).

Here blue supports the predicted label and orange opposes it; opacity |w| / max|w|.
"""



from rrr.pipeline.jobs import load_npz, read_json, start_job, write_text
from rrr.plots import use_style
from rrr.plots.newsgroups import Document, Panel, draw_documents, explanations_html, save_documents
from rrr.paper.newsgroups import document_word_weights

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
text = read_json(sm.input.text)
names, vocabulary = text["target_names"], text["vocabulary"]
cached, lime = load_npz(sm.input.gradients), read_json(sm.input.lime)
toward, seed = int(cached["toward"]), str(lime["seeds"][0])
documents = []
for row in sm.params.documents:
    j = cached["rows"].tolist().index(row)
    probabilities = cached["probabilities"][0, j]
    predicted = int(probabilities.argmax())
    sign = 1.0 if predicted == toward else -1.0  # orient every weight toward the predicted label
    gradient = document_word_weights(cached["gradients"][0, j], cached["inputs"][j], vocabulary)
    lime_weights = lime["explanations"][seed][str(row)]["weights"]
    panels = [
        Panel(title, {w: sign * v for w, v in weights.items()}, f"{names[predicted]} (predicted)", names[1 - predicted])
        for title, weights in (("Input gradients", gradient), ("LIME", lime_weights))
    ]
    documents.append(
        Document(
            text["test_texts"][row],
            f"Test document {row}: {names[predicted]} predicted with p̂ = {probabilities.max():.2f} (seed {seed})",
            panels,
        )
    )
caption = (
    "Blue supports the predicted label, orange opposes it; opacity |w| / max|w| (IJCAI 2017, Appendix C, Figure 13)."
)
write_text(explanations_html(documents, "Figure 13: longer 20 Newsgroups examples", caption), sm.output.html)
save_documents(draw_documents(documents), sm.output.png, sm.output.pdf)
