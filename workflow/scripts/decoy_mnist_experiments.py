"""Decoy-MNIST helpers the workflow scripts share (and tests/test_decoy_mnist_experiments.py checks).

* ``l1_label`` — the name a λ1 gets in metrics keys (``1e3``, ``1e-4``, ``250``);
* ``stacked_explanation_mask`` — FAE's M_c[f_X|θ] for a stack of models, in chunks of rows;
* ``decoy_class`` / ``fooled_example`` — which digit a test swatch's shade encodes, and the first
  test image whose wrong prediction is that digit (the paper's Figure 6 case);
* ``lime_image_explanation`` — LIME image with the reference's settings (§3): grey levels
  inverted and copied to 3 channels, quickshift superpixels, hidden superpixels set to 1.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from rrr import input_gradients, largest_gradient_mask

os.environ.setdefault("TQDM_DISABLE", "1")  # LIME's per-sample progress bar only fills logs

SIDE = 28
SHADE_STEP = 25


def l1_label(value: float) -> str:
    """``1000`` -> ``"1e3"``, ``1e-4`` -> ``"1e-4"``; other values as ``%g`` (``250``)."""
    if value > 0:
        p = math.log10(value)
        if abs(p - round(p)) < 1e-9:
            return f"1e{round(p)}"
    return f"{value:g}"


def stacked_explanation_mask(
    model: nn.Module, x: torch.Tensor, cutoff: float = 0.67, chunk: int = 2048
) -> torch.Tensor:
    """M_c[∇ max p̂] of every model of a stack on shared rows ``x`` (N, D): bool (S, N, D).

    Rows are processed ``chunk`` at a time, so the float gradients never exceed S·chunk·D.
    """
    n_models = model.n_models
    parts = []
    for rows in x.split(chunk):
        grads = input_gradients(model, rows.expand(n_models, *rows.shape), "max_prob")
        parts.append(largest_gradient_mask(grads, cutoff))
    return torch.cat(parts, dim=1)


def decoy_class(x: np.ndarray, swatch: np.ndarray) -> np.ndarray:
    """The digit each image's swatch shade encodes in training (shade = 255 − 25·digit)."""
    shade = np.where(swatch, x, 0).max(axis=1).astype(np.int64)
    return (255 - shade) // SHADE_STEP


def fooled_example(probabilities: np.ndarray, labels: np.ndarray, decoys: np.ndarray) -> int:
    """Index of the first image predicted wrongly *as the digit its decoy encodes*."""
    predicted = probabilities.argmax(axis=1)
    hits = np.flatnonzero((predicted != labels) & (predicted == decoys))
    if hits.size == 0:
        raise ValueError("No test image is misclassified as its decoy's digit; the model ignores the swatch.")
    return int(hits[0])


def to_lime_image(x: np.ndarray) -> np.ndarray:
    """A flat 0–255 digit as the reference handed it to LIME: 255 − v, float, 3 equal channels."""
    grey = 255.0 - np.asarray(x, dtype=np.float64).reshape(SIDE, SIDE)
    return np.repeat(grey[..., None], 3, axis=-1)


def from_lime_images(images: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_lime_image` for a batch (n, 28, 28, 3) -> (n, 784), from channel 0."""
    return (255.0 - images[..., 0]).reshape(len(images), SIDE * SIDE)


def lime_image_explanation(
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    settings: Mapping[str, object],
    *,
    labels: Sequence[int] | None = None,
    random_state: int = 0,
):
    """Explain ``predict`` (flat 0–255 images -> probabilities) at image ``x`` with LIME image.

    ``settings`` holds the reference's arguments: ``kernel_size``, ``max_dist``, ``ratio``
    (quickshift), ``num_samples``, ``batch_size``, ``hide_color`` and ``top_labels``. With
    ``labels`` given, those classes are explained instead of the top ones (same samples).
    Returns lime's ``ImageExplanation`` (``segments``, ``local_exp[label]``).
    """
    from lime.lime_image import LimeImageExplainer
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    explainer = LimeImageExplainer(random_state=random_state)
    segmenter = SegmentationAlgorithm(
        "quickshift",
        kernel_size=settings["kernel_size"],
        max_dist=settings["max_dist"],
        ratio=settings["ratio"],
        random_seed=random_state,
    )
    return explainer.explain_instance(
        to_lime_image(x),
        lambda images: predict(from_lime_images(images)),
        labels=tuple(labels) if labels is not None else (1,),
        top_labels=None if labels is not None else settings["top_labels"],
        hide_color=settings["hide_color"],
        num_samples=settings["num_samples"],
        batch_size=settings["batch_size"],
        segmentation_fn=segmenter,
        random_seed=random_state,
    )


def superpixel_weights(explanation, label: int) -> np.ndarray:
    """LIME's weight of every superpixel for ``label``, as a (28, 28) map (0 where unselected)."""
    weights = np.zeros(explanation.segments.max() + 1)
    for segment, weight in explanation.local_exp[label]:
        weights[segment] = weight
    return weights[explanation.segments]
