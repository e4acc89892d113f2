"""Iris-Cancer measurements (rrr.paper.iris_cancer) and figure helpers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rrr import fit, mlp, predict_proba
from rrr.data.iris_cancer import load_iris_cancer
from rrr.paper.iris_cancer import iris_usage, lime_tabular, lime_weights, top_k_iris_count
from rrr.plots.iris_cancer import accuracy_bins, iris_share

LIME = {"num_features": 10, "num_samples": 500, "random_state": 0}


def test_iris_usage_pools_mask_entries_over_examples() -> None:
    g = torch.zeros(2, 34)
    g[0, [0, 1, 10]] = 1.0  # M_0.67 = {0, 1, 10}: 2 of 3 on Iris
    g[1, [20]] = 1.0  # M_0.67 = {20}: 0 of 1
    assert iris_usage(g) == pytest.approx(2 / 4)  # pooled, not the mean of 2/3 and 0


def test_iris_usage_is_per_model_on_stacks_and_respects_cutoff() -> None:
    g = torch.zeros(2, 3, 34)
    g[0, :, 0] = 1.0
    g[0, :, 5] = 0.5  # below 0.67 · max: not in the mask
    g[1, :, 7] = -2.0
    np.testing.assert_allclose(iris_usage(g), [1.0, 0.0])
    np.testing.assert_allclose(iris_usage(g, cutoff=0.4), [0.5, 0.0])


def test_top_k_iris_count_counts_iris_columns_among_largest_magnitudes() -> None:
    g = torch.arange(34, dtype=torch.float32).repeat(2, 1)  # largest entries at the end
    g[0, :3] = -100.0  # three Iris columns become the largest (by |g|)
    np.testing.assert_allclose(top_k_iris_count(g, k=10), 1.5)  # mean of 3 and 0
    stacked = torch.stack([g, -g])
    np.testing.assert_allclose(top_k_iris_count(stacked, k=10), [1.5, 1.5])


@pytest.fixture(scope="module")
def trained() -> tuple[torch.nn.Module, np.ndarray]:
    X, y, _ = load_iris_cancer()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: extra threads only add overhead on a busy machine
    try:
        model, _ = fit(mlp(34, 2, seed=0), X, y, epochs=30, batch_size=100)
    finally:
        torch.set_num_threads(threads)
    return model, X


def test_lime_weights_are_dense_and_select_num_features(trained) -> None:
    model, X = trained
    explainer = lime_tabular(X, LIME, discretize=False)

    def predict(rows: np.ndarray) -> np.ndarray:
        return predict_proba(model, rows).numpy()

    w0 = lime_weights(explainer, predict, X[0], 0, LIME)
    assert w0.shape == (34,)
    assert 0 < np.count_nonzero(w0) <= LIME["num_features"]
    # Same random state, the other class: LIME regresses p̂_1 = 1 − p̂_0, so the weights flip sign.
    w1 = lime_weights(lime_tabular(X, LIME, discretize=False), predict, X[0], 1, LIME)
    np.testing.assert_allclose(w1, -w0, atol=1e-6)


def test_discretized_lime_explainer_runs(trained) -> None:
    model, X = trained
    explainer = lime_tabular(X, LIME, discretize=True)
    w = lime_weights(explainer, lambda r: predict_proba(model, r).numpy(), X[3], 1, LIME)
    assert np.count_nonzero(w) == LIME["num_features"]


def test_accuracy_bins_centre_each_attainable_accuracy() -> None:
    edges = accuracy_bins(33)
    counts, _ = np.histogram(np.arange(16, 34) / 33, bins=edges)
    assert edges[0] < 0.5 and edges[-1] > 1
    assert (counts == 1).all()  # one attainable value per bin, none split or merged


def test_iris_share() -> None:
    w = np.zeros(34)
    w[[0, 10]] = [1.0, -3.0]
    assert iris_share(w) == pytest.approx(0.25)
    assert iris_share(np.zeros(34)) == 0.0
