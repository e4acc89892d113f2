"""Iris-Cancer (spec §1.3): Iris classes 1/2 glued to breast-cancer rows with matching labels.

Both halves predict the label, so a model may rely on either; the Iris columns (0-3)
are the confound that "iris out" test sets remove. No feature scaling is applied.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.model_selection import train_test_split

IRIS_COLUMNS = slice(0, 4)
N_PER_CLASS = 50
N_FEATURES = 34
TEST_SIZE = 0.33


def load_iris_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return X float64 (100,34), y int64 (100,) and the 34 feature names.

    Rows 0-49: versicolor + first 50 malignant rows (label 0); rows 50-99: virginica +
    first 50 benign rows (label 1), all in file order.
    """
    iris, cancer = load_iris(), load_breast_cancer()
    iris_X = np.vstack([iris.data[iris.target == c] for c in (1, 2)])
    cancer_X = np.vstack([cancer.data[cancer.target == c][:N_PER_CLASS] for c in (0, 1)])
    X = np.hstack([iris_X, cancer_X]).astype(np.float64)
    y = np.repeat(np.arange(2, dtype=np.int64), N_PER_CLASS)
    names = [str(name) for name in (*iris.feature_names, *cancer.feature_names)]
    return X, y, names


def iris_cancer_split(X: np.ndarray, y: np.ndarray,
                      seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unstratified 67/33 split (train_test_split, test_size=0.33): Xtr, Xte, ytr, yte."""
    return train_test_split(X, y, test_size=TEST_SIZE, random_state=seed)


def iris_out(X: np.ndarray) -> np.ndarray:
    """A copy of X with the Iris columns 0-3 set to zero (the confound removed)."""
    out = np.array(X, copy=True)
    out[:, IRIS_COLUMNS] = 0
    return out


def iris_mask(n: int) -> np.ndarray:
    """Bool (n,34) annotation mask, True on the Iris columns of every row."""
    mask = np.zeros((n, N_FEATURES), dtype=bool)
    mask[:, IRIS_COLUMNS] = True
    return mask


def iris_cancer_splits(n_splits: int, seed: int) -> dict[str, np.ndarray]:
    """Stack ``n_splits`` independent splits: Xtr (S,67,34), ytr (S,67), Xte (S,33,34), yte (S,33).

    Split s uses a random_state drawn from ``SeedSequence(seed)``, so the whole stack
    is reproducible from one seed while the splits differ (the original re-split freshly
    on every repetition without a seed).
    """
    X, y, _ = load_iris_cancer()
    states = np.random.SeedSequence(seed).generate_state(n_splits)
    splits = [iris_cancer_split(X, y, int(s)) for s in states]
    return {key: np.stack([sp[i] for sp in splits])
            for i, key in enumerate(("Xtr", "Xte", "ytr", "yte"))}
