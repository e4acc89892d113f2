"""Figure 5: one test document explained by input gradients and by LIME (seed 0's A = 0 model).

Blue words support soc.religion.christian, orange ones alt.atheism; opacity |w| / max|w|.
Gradients are ∂p̂(christian)/∂x restricted to the document's words; LIME's are its 10 words.
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
row, toward = sm.params.document, int(cached["toward"])
j, seed = cached["rows"].tolist().index(row), str(lime["seeds"][0])
positive, negative = names[toward], names[1 - toward]
probabilities = cached["probabilities"][0, j]
predicted = names[int(probabilities.argmax())]
document = Document(
    text["test_texts"][row],
    f"Test document {row}: {predicted} predicted with p̂ = {probabilities.max():.2f} (A = 0 model, seed {seed})",
    [
        Panel(
            "Input gradients",
            document_word_weights(cached["gradients"][0, j], cached["inputs"][j], vocabulary),
            positive,
            negative,
        ),
        Panel("LIME", lime["explanations"][seed][str(row)]["weights"], positive, negative),
    ],
)
caption = (
    f"Words are blue if they support {positive} and orange if they support {negative}, with opacity "
    "|w| / max|w| (IJCAI 2017, Figure 5)."
)
write_text(explanations_html([document], "Figure 5: LIME vs input gradients", caption), sm.output.html)
save_documents(draw_documents([document]), sm.output.png, sm.output.pdf)
