"""20 Newsgroups experiments: word-level explanations, LIME wrapper, highlighting, dataset order."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from lime.lime_text import LimeTextExplainer
from matplotlib.patches import Rectangle

import rrr
from rrr.data.newsgroups import load_newsgroups, tfidf_features
from rrr.plots.newsgroups import Document, Panel, draw_documents, highlight_html, opacities, wrap
from rrr.paper.newsgroups import (
    document_word_weights,
    lime_word_weights,
    rebuild_vectorizer,
    sign_agreement,
    text_classifier,
    top_words,
)

TRAIN = [
    "God church prayer Jesus love",
    "atheism reason evidence science",
    "church Jesus faith prayer",
    "evidence atheism science logic",
]
TEST = ["prayer and church on Sunday", "science evidence, not faith"]


@pytest.fixture
def vectorizer():
    _, _, fitted = tfidf_features(TRAIN, TEST, max_features=50)
    return fitted


def test_rebuilt_vectorizer_transforms_exactly_like_the_fitted_one(vectorizer):
    rebuilt = rebuild_vectorizer(vectorizer.get_feature_names_out().tolist(), vectorizer.idf_.tolist())
    np.testing.assert_array_equal(rebuilt.transform(TEST).toarray(), vectorizer.transform(TEST).toarray())


def test_document_word_weights_keep_only_the_documents_words():
    names = ["church", "evidence", "faith", "prayer"]
    x = np.array([0.5, 0.0, 0.0, 0.2])
    g = np.array([1.0, -3.0, 2.0, -0.5])
    assert document_word_weights(g, x, names) == {"church": 1.0, "prayer": -0.5}


def test_top_words_apply_the_cutoff_per_sign_and_the_word_limit():
    names = [f"w{i}" for i in range(6)]
    g = np.array([1.0, -0.9, 0.7, 0.5, -0.68, 0.8])
    pos, neg = top_words(g, names, cutoff=0.67, max_words=2)
    assert [w for w, _ in pos] == ["w0", "w5"]  # strongest first, w2 (0.7) cut by the limit
    assert [w for w, _ in neg] == ["w1", "w4"]
    assert top_words(np.zeros(6), names) == ([], [])


def test_sign_agreement_counts_only_words_with_a_gradient():
    lime = {"church": 0.3, "science": -0.2, "Sunday": 0.1, "zero": 0.0}
    grads = {"church": 0.01, "science": 0.02, "zero": 1.0}
    assert sign_agreement(lime, grads) == 0.5
    assert math.isnan(sign_agreement({"a": 1.0}, {"b": 1.0}))


def _tiny_model(vectorizer) -> torch.nn.Module:
    x, y = vectorizer.transform(TRAIN).toarray().astype(np.float32), np.array([1, 0, 1, 0])
    model, _ = rrr.fit(rrr.mlp(x.shape[1], 2, hidden=(8,), seed=0), x, y, epochs=60, batch_size=4, lr=0.01)
    return model


def test_lime_sees_probabilities_and_weights_flip_with_the_class_they_point_to(vectorizer):
    classify = text_classifier(_tiny_model(vectorizer), vectorizer)
    p = classify(TEST)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)  # probabilities, not exp(probabilities)
    assert p[0].argmax() == 1 and p[1].argmax() == 0

    def explain(toward):
        explainer = LimeTextExplainer(class_names=["atheism", "christian"], random_state=0)
        return lime_word_weights(explainer, classify, TEST[0], toward=toward, num_features=3, num_samples=200)

    (label1, w1), (label0, w0) = explain(1), explain(0)
    assert label1 == label0 == 1
    assert w1 == {word: -v for word, v in w0.items()}
    assert w1["church"] > 0 and w1["prayer"] > 0  # Christian words support the Christian class


def test_wrap_keeps_words_whole_and_lines_short():
    text = "alpha beta gamma delta epsilon\n\nzeta " + "x" * 25
    lines = wrap(text, 12)
    assert all(len(line) <= 12 for line in lines)
    assert "" in lines  # the blank line survives
    assert " ".join(line for line in lines if line).split() == [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "x" * 12,
        "x" * 12,
        "x",
    ]


def test_highlight_html_escapes_and_scales_opacity():
    html = highlight_html("a <church> & Jesus, church", {"church": 2.0, "Jesus": -1.0, "absent": 9.0})
    assert "&lt;" in html and "&amp;" in html
    assert html.count("<span") == 3  # both "church" and "Jesus"; "absent" is not in the text
    assert opacities({"church": 2.0, "Jesus": -1.0}) == {"church": 1.0, "Jesus": 0.5}


def test_draw_documents_puts_one_highlight_under_each_weighted_word():
    doc = Document(
        "church\tand church\nscience",
        "heading",
        [
            Panel("gradients", {"church": 1.0, "science": -0.5}, "christian", "atheism"),
            Panel("LIME", {"church": 0.3}, "christian", "atheism"),
        ],
    )
    fig = draw_documents([doc], width=20)
    highlights = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(highlights) == 3 + 2
    assert {round(p.get_alpha(), 3) for p in highlights} == {1.0, 0.5}


def test_newsgroups_split_sizes_and_the_paper_documents(mirror: Path):
    archive = next((mirror / "20newsgroups").glob("*.tar.gz"))
    d = load_newsgroups(archive)
    assert (len(d["train_texts"]), len(d["test_texts"])) == (1079, 717)  # 480 + 599, 319 + 398
    assert np.bincount(d["train_labels"]).tolist() == [480, 599]
    assert "Should teenagers pick a church" in d["test_texts"][32]  # Figure 5
    assert "Genocide is Caused by Atheism" in d["test_texts"][22]  # Figure 13
