"""Iris-Cancer measurements (paper Sec. 4.2) that the iris_cancer_* workflow scripts share.

How much a model's explanations rely on the Iris columns (reference ``iris_cancer.iris_usage``
and the notebook's top-10 count), and LIME tabular explanations as dense weight vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from lime.lime_tabular import LimeTabularExplainer

from rrr import largest_gradient_mask
from rrr.data.iris_cancer import IRIS_COLUMNS


def iris_usage(grads: torch.Tensor, cutoff: float = 0.67) -> np.ndarray:
    """Share of the mask M_c[f_X] that falls on the Iris columns, pooled over examples.

    As the reference's ``mask[:, :4].sum() / mask.sum()``; ``grads`` is (N, D) or a stack
    (S, N, D), giving a float or one value per model.
    """
    mask = largest_gradient_mask(torch.as_tensor(grads), cutoff)
    iris = mask[..., IRIS_COLUMNS].sum(dim=(-1, -2))
    return (iris / mask.sum(dim=(-1, -2)).clamp(min=1)).numpy()


def top_k_iris_count(grads: torch.Tensor, k: int = 10) -> np.ndarray:
    """Mean number of Iris columns among each example's ``k`` largest |∇| entries."""
    top = torch.as_tensor(grads).abs().topk(k, dim=-1).indices
    on_iris = (top >= IRIS_COLUMNS.start) & (top < IRIS_COLUMNS.stop)
    return on_iris.sum(dim=-1).to(torch.float64).mean(dim=-1).numpy()


def lime_tabular(x_train: np.ndarray, settings: Mapping, *, discretize: bool) -> LimeTabularExplainer:
    """The reference's explainers (§3): variant (a) quartile-discretized with feature names 0..33
    and classes [0, 1]; variant (b) ``LimeTabularExplainer(X, discretize_continuous=False)``."""
    if discretize:
        return LimeTabularExplainer(
            x_train,
            feature_names=list(range(x_train.shape[1])),
            class_names=[0, 1],
            random_state=settings["random_state"],
        )
    return LimeTabularExplainer(x_train, discretize_continuous=False, random_state=settings["random_state"])


def lime_weights(
    explainer: LimeTabularExplainer,
    predict: Callable[[np.ndarray], np.ndarray],
    row: np.ndarray,
    label: int,
    settings: Mapping,
) -> np.ndarray:
    """LIME's local linear weights for class ``label`` as a dense vector (zero where not selected)."""
    explanation = explainer.explain_instance(
        row, predict, labels=[label], num_features=settings["num_features"], num_samples=settings["num_samples"]
    )
    weights = np.zeros(len(row))
    for index, weight in explanation.as_map()[label]:
        weights[index] = weight
    return weights
