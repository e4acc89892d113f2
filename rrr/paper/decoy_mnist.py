"""The Decoy MNIST experiments' helpers (paper Sec. 4.3, Figures 6, 10 and 11).

* ``l1_label`` — the name a λ1 gets in metrics keys (``1e3``, ``1e-4``, ``250``);
* ``swatch_shade`` / ``decoy_class`` / ``fooled_example`` — a test swatch's shade, the digit it
  encodes, and the first test image whose wrong prediction is that digit and whose swatch LIME
  can see (the paper's Figure 6 case);
* ``lime_image_explanation`` — LIME image with the reference's settings (§3): grey levels
  inverted and copied to 3 channels, quickshift superpixels, hidden superpixels set to 1.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from rrr.data.decoy_mnist import SHADE_STEP, SIDE

os.environ.setdefault("TQDM_DISABLE", "1")  # LIME's per-sample progress bar only fills logs

BACKGROUND = 0  # MNIST's background grey level (255 after LIME's inversion)


def l1_label(value: float) -> str:
    """``1000`` -> ``"1e3"``, ``1e-4`` -> ``"1e-4"``; other values as ``%g`` (``250``)."""
    if value > 0:
        p = math.log10(value)
        if abs(p - round(p)) < 1e-9:
            return f"1e{round(p)}"
    return f"{value:g}"


def swatch_shade(x: np.ndarray, swatch: np.ndarray) -> np.ndarray:
    """Each image's swatch grey level (0–255; the swatch is one constant shade)."""
    return np.where(swatch, x, 0).max(axis=1).astype(np.int64)


def decoy_class(x: np.ndarray, swatch: np.ndarray) -> np.ndarray:
    """The digit each image's swatch shade encodes in training (shade = 255 − 25·digit)."""
    return (255 - swatch_shade(x, swatch)) // SHADE_STEP


def fooled_example(
    probabilities: np.ndarray,
    labels: np.ndarray,
    decoys: np.ndarray,
    shades: np.ndarray | None = None,
    min_contrast: float = 0,
) -> int:
    """Index of the first image predicted wrongly *as the digit its decoy encodes* whose swatch
    ``shades`` differ from the background (MNIST's 0) by at least ``min_contrast`` grey levels.

    The contrast condition is the paper's other one: Figure 6 must show a swatch that LIME, too,
    can reveal ("both LIME and input gradients reveal ..."). LIME weighs quickshift superpixels, and
    at the reference's settings (kernel_size 4, max_dist 200, ratio 0.2) a swatch of shade 30 or 33
    always shared its superpixel with 121 or more background pixels, one of shade 34 did so on 22 of
    the 200 digits, and one of shade 35 or any test shade 55–255 never shared it with a single
    background pixel (the first 200 MNIST test digits, swatches in their Decoy-MNIST corners).
    Config's 35 sits at that boundary; of the test shades 255 − 25·r it drops only a 9's, 30.
    """
    predicted = probabilities.argmax(axis=1)
    fooled = (predicted != labels) & (predicted == decoys)
    if not fooled.any():
        raise ValueError("No test image is misclassified as its decoy's digit; the model ignores the swatch.")
    visible = np.ones_like(fooled) if shades is None else np.abs(np.asarray(shades) - BACKGROUND) >= min_contrast
    hits = np.flatnonzero(fooled & visible)
    if hits.size == 0:
        raise ValueError(
            f"Every test image misclassified as its decoy's digit has a swatch within {min_contrast} grey levels "
            "of the background, which LIME's superpixels cannot separate from it."
        )
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
