"""The squares toy of the thesis (App. L, Fig. 25): a white square on a grey background.

Four latent factors: the square's side, its x and y position, and the background shade.
The label is confounded with two of them in training — class 0 has small squares on dark
backgrounds, class 1 large squares on light ones — so either factor predicts it. Two test
sets decouple them: in ``test_size`` only the size follows the label (the shade is
random), in ``test_color`` only the background does (the size is random). This is the
thesis's parable of tanks photographed in different light.
"""

from __future__ import annotations

import numpy as np

SIDE = 16
SIZES = (2, 3, 4, 5, 6, 7)  # square side in pixels; small = first half, large = second half
SHADE_RANGE = (0.0, 0.6)  # background intensity when it is random
SHADE_CLASSES = ((0.0, 0.25), (0.35, 0.6))  # dark and light backgrounds, with a margin between them
SQUARE_SHADE = 1.0
FACTORS = ("size", "x", "y", "shade")
SPLITS = ("train", "test_size", "test_color")


def render(size: np.ndarray, x: np.ndarray, y: np.ndarray, shade: np.ndarray, side: int = SIDE) -> np.ndarray:
    """Images (N, side, side) float32 in [0, 1]: background ``shade``, a square of side ``size`` at
    top-left corner (``y``, ``x``) filled with 1."""
    images = np.broadcast_to(np.asarray(shade, np.float32)[:, None, None], (len(size), side, side)).copy()
    rows, cols = np.arange(side)[None, :, None], np.arange(side)[None, None, :]
    inside = (
        (rows >= y[:, None, None])
        & (rows < (y + size)[:, None, None])
        & (cols >= x[:, None, None])
        & (cols < (x + size)[:, None, None])
    )
    images[inside] = SQUARE_SHADE
    return images


def sample_factors(
    n: int,
    rng: np.random.Generator,
    size_class: np.ndarray | None = None,
    shade_class: np.ndarray | None = None,
    side: int = SIDE,
) -> dict[str, np.ndarray]:
    """Draw the four factors. ``size_class``/``shade_class`` (0/1 per image) restrict the size to
    its small/large half and the shade to :data:`SHADE_CLASSES`; ``None`` leaves it uniform."""
    sizes = np.asarray(SIZES)
    half = len(sizes) // 2
    if size_class is None:
        size = rng.choice(sizes, n)
    else:
        size = sizes[rng.integers(0, half, n) + half * np.asarray(size_class)]
    if shade_class is None:
        shade = rng.uniform(*SHADE_RANGE, n)
    else:
        lo, hi = np.asarray(SHADE_CLASSES).T[:, np.asarray(shade_class)]
        shade = rng.uniform(lo, hi)
    x = rng.integers(0, side - size + 1)
    y = rng.integers(0, side - size + 1)
    return {
        "size": size.astype(np.int64),
        "x": x.astype(np.int64),
        "y": y.astype(np.int64),
        "shade": shade.astype(np.float32),
    }


def make_squares(n: int, split: str, seed: int = 0, side: int = SIDE) -> tuple[np.ndarray, np.ndarray, dict]:
    """One labelled split: images (n, side, side), labels (n,) balanced 0/1, and the factors.

    ``train``: size and shade both follow the label; ``test_size``: only size does;
    ``test_color``: only the background shade does.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}.")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 2)
    size_class = labels if split in ("train", "test_size") else None
    shade_class = labels if split in ("train", "test_color") else None
    factors = sample_factors(n, rng, size_class, shade_class, side)
    images = render(factors["size"], factors["x"], factors["y"], factors["shade"], side)
    return images, labels.astype(np.int64), factors


def make_unlabelled_squares(n: int, seed: int = 0, side: int = SIDE) -> tuple[np.ndarray, dict]:
    """Images whose four factors vary independently (for the autoencoder), and the factors."""
    factors = sample_factors(n, np.random.default_rng(seed), side=side)
    return render(factors["size"], factors["x"], factors["y"], factors["shade"], side), factors
