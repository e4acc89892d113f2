"""20 Newsgroups (atheism vs Christianity) as dense TF-IDF arrays, plus what rendering and LIME need.

Writes the arrays (npz) and, beside them (JSON), the test texts, class names and the fitted
vectorizer's vocabulary and idf (``rrr.paper.newsgroups.rebuild_vectorizer`` restores it).
Small profiles keep the first n documents of each split before the vectorizer is fit.
"""

import json
from pathlib import Path


from rrr.data.newsgroups import load_newsgroups, tfidf_features
from rrr.pipeline.jobs import start_job, write_npz, write_text

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
(archive,) = sorted(Path(sm.input[0]).glob("*.tar.gz"))
d = load_newsgroups(archive)
counts = {"n_train_available": len(d["train_texts"]), "n_test_available": len(d["test_texts"])}
n_train, n_test = sm.params.n_train, sm.params.n_test
train_texts, y = d["train_texts"][:n_train], d["train_labels"][:n_train]
test_texts, yt = d["test_texts"][:n_test], d["test_labels"][:n_test]
X, Xt, vectorizer = tfidf_features(train_texts, test_texts, max_features=sm.params.max_features)

write_npz(sm.output.npz, code=sm.params.code, X=X, y=y, Xt=Xt, yt=yt)
text = {
    **counts,
    "target_names": d["target_names"],
    "vocabulary": vectorizer.get_feature_names_out().tolist(),
    "idf": vectorizer.idf_.tolist(),
    "test_texts": test_texts,
}
write_text(json.dumps(text), sm.output.text)
