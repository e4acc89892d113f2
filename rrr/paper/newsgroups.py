"""Word-level explanations of a bag-of-words (TF-IDF) classifier: input gradients and LIME.

The paper's 20 Newsgroups figures (5, 10 middle, 13) attach one weight to each word: the
input gradient of a class probability with respect to that word's TF-IDF feature, or the
coefficient LIME's local linear model gives the word. Weights here are *oriented*: a
positive weight raises the probability of the class named by ``toward``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from lime.lime_text import LimeTextExplainer
from sklearn.feature_extraction.text import TfidfVectorizer
from torch import nn

from rrr.training import predict_proba

WordWeights = dict[str, float]


def rebuild_vectorizer(vocabulary: Sequence[str], idf: Sequence[float]) -> TfidfVectorizer:
    """The fitted TF-IDF vectorizer of ``rrr.data.tfidf_features`` from its vocabulary and idf.

    Lets cached data (vocabulary + idf in JSON) transform new text exactly as the
    original vectorizer does, without pickling scikit-learn objects.
    """
    vectorizer = TfidfVectorizer(lowercase=False, vocabulary=list(vocabulary))
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer


def text_classifier(model: nn.Module, vectorizer: TfidfVectorizer) -> Callable[[Sequence[str]], np.ndarray]:
    """Texts -> class probabilities (TF-IDF, then ``model``), the function LIME explains.

    Returns the probabilities themselves. (The reference wrapped them in an extra ``exp``,
    so its LIME regressed e^p̂ instead of p̂; that is a bug we do not copy.)
    """

    def classify(texts: Sequence[str]) -> np.ndarray:
        x = vectorizer.transform(list(texts)).toarray().astype(np.float32)
        return predict_proba(model, x).numpy().astype(np.float64)

    return classify


def lime_word_weights(
    explainer: LimeTextExplainer,
    classify: Callable[[Sequence[str]], np.ndarray],
    text: str,
    *,
    toward: int,
    num_features: int = 10,
    num_samples: int = 5000,
) -> tuple[int, WordWeights]:
    """LIME's explanation of the top predicted label (reference §3), oriented toward class ``toward``.

    Returns (the label LIME explained, {word: weight}). For two classes p̂_0 = 1 − p̂_1, so
    the weights for the other class are the negated ones.
    """
    explanation = explainer.explain_instance(
        text, classify, top_labels=1, num_features=num_features, num_samples=num_samples
    )
    label = int(explanation.top_labels[0])
    sign = 1.0 if label == toward else -1.0
    return label, {str(word): sign * float(w) for word, w in explanation.as_list(label=label)}


def document_word_weights(gradient: np.ndarray, x: np.ndarray, feature_names: Sequence[str]) -> WordWeights:
    """The paper's "in-example" gradient explanation: {word: ∂p̂/∂x_word} for the words of the document (x > 0)."""
    present = np.flatnonzero(np.asarray(x) > 0)
    return {feature_names[i]: float(gradient[i]) for i in present}


def top_words(
    gradient: np.ndarray, feature_names: Sequence[str], *, cutoff: float = 0.67, max_words: int = 6
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Words of M_cutoff over all 5000 components (in the document or not), strongest first.

    Returns (positive, negative) lists of (word, weight), at most ``max_words`` each, as in
    the reference's find-another-explanation word table.
    """
    g = np.asarray(gradient, dtype=float)
    peak = np.abs(g).max()
    if peak == 0:
        return [], []
    pos = [i for i in np.argsort(-g) if g[i] > cutoff * peak][:max_words]
    neg = [i for i in np.argsort(g) if g[i] < -cutoff * peak][:max_words]
    return [(feature_names[i], float(g[i])) for i in pos], [(feature_names[i], float(g[i])) for i in neg]


def sign_agreement(lime_weights: Mapping[str, float], gradient_weights: Mapping[str, float]) -> float:
    """Fraction of LIME's words (those with a gradient weight) whose gradient has the same sign.

    Measures the paper's "LIME and input gradients never disagree" (Figs. 5 and 13).
    NaN when no LIME word has a gradient weight.
    """
    shared = [w for w, v in lime_weights.items() if w in gradient_weights and v != 0]
    if not shared:
        return float("nan")
    return float(np.mean([np.sign(lime_weights[w]) == np.sign(gradient_weights[w]) for w in shared]))
