"""Toy Color dataset (spec §1.1): 5x5 RGB images whose label follows two pixel rules.

Rule 1: the four corners share one color. Rule 2: the three top-middle pixels
(row 0, cols 1..3) are all different. Label 0 images satisfy both rules, label 1
images satisfy neither. Images are flattened in C order, feature = (row*5+col)*3+channel.
"""

from __future__ import annotations

import numpy as np

SIDE = 5
N_FEATURES = SIDE * SIDE * 3
# The four colors that are sampled (the original defines three more that are never used).
PALETTE = np.array([[255, 0, 0], [0, 255, 0], [0, 128, 255], [128, 0, 255]], dtype=np.uint8)
CORNERS = ((0, 0), (0, SIDE - 1), (SIDE - 1, 0), (SIDE - 1, SIDE - 1))
TOP_MIDDLE = ((0, 1), (0, 2), (0, 3))


def _pixel_mask(pixels: tuple[tuple[int, int], ...]) -> np.ndarray:
    mask = np.zeros((SIDE, SIDE, 3), dtype=bool)
    for r, c in pixels:
        mask[r, c, :] = True
    return mask.ravel()


def corner_mask() -> np.ndarray:
    """Bool (75,) mask of the 4 corner pixels x 3 channels (the original `ignore_rule1`)."""
    return _pixel_mask(CORNERS)


def top_middle_mask() -> np.ndarray:
    """Bool (75,) mask of pixels (0,1),(0,2),(0,3) x 3 channels (the original `ignore_rule2`)."""
    return _pixel_mask(TOP_MIDDLE)


def _pixels(X: np.ndarray) -> np.ndarray:
    return np.asarray(X).reshape(-1, SIDE, SIDE, 3)


def rule1_holds(X: np.ndarray) -> np.ndarray:
    """Bool (n,): all four corners of each image have the same color."""
    corners = np.stack([_pixels(X)[:, r, c] for r, c in CORNERS], axis=1)
    return (corners == corners[:, :1]).all(axis=(1, 2))


def rule2_holds(X: np.ndarray) -> np.ndarray:
    """Bool (n,): the three top-middle pixels of each image are pairwise different."""
    a, b, c = (_pixels(X)[:, 0, j] for j in (1, 2, 3))
    return ~(_same_color(a, b) | _same_color(a, c) | _same_color(b, c))


def _same_color(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (u == v).all(axis=1)


def _top_middle_distinct(idx: np.ndarray) -> np.ndarray:
    """Per row of color indices (n,5,5): are the top-middle three pairwise different?"""
    t = idx[:, 0, 1:4]
    return (t[:, 0] != t[:, 1]) & (t[:, 0] != t[:, 2]) & (t[:, 1] != t[:, 2])


def _redraw_top_middle(idx: np.ndarray, rng: np.random.Generator, want_distinct: bool) -> None:
    """While a row's top-middle distinctness is wrong, redraw one random top-middle pixel."""
    rows = np.flatnonzero(_top_middle_distinct(idx) != want_distinct)
    while rows.size:
        cols = 1 + rng.integers(0, 3, size=rows.size)
        idx[rows, 0, cols] = rng.integers(0, len(PALETTE), size=rows.size)
        rows = rows[_top_middle_distinct(idx[rows]) != want_distinct]


def _redraw_until_differs(idx: np.ndarray, rows: np.ndarray, moving: tuple[int, int],
                          fixed: tuple[int, int], rng: np.random.Generator) -> None:
    """Redraw pixel `moving` of the given rows until it differs from pixel `fixed`."""
    rows = rows[idx[rows, moving[0], moving[1]] == idx[rows, fixed[0], fixed[1]]]
    while rows.size:
        idx[rows, moving[0], moving[1]] = rng.integers(0, len(PALETTE), size=rows.size)
        rows = rows[idx[rows, moving[0], moving[1]] == idx[rows, fixed[0], fixed[1]]]


def generate_toy_color(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Generate n images: X uint8 (n,75) with values 0-255, y int64 (n,) ~ Bernoulli(0.5)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(np.int64)
    idx = rng.integers(0, len(PALETTE), size=(n, SIDE, SIDE))
    (tl, tr, bl, br) = CORNERS

    # Label 0: copy the bottom-right color to the other corners; make top-middle distinct.
    zero = np.flatnonzero(y == 0)
    for r, c in (tl, tr, bl):
        idx[zero, r, c] = idx[zero, br[0], br[1]]
    sub = idx[zero]
    _redraw_top_middle(sub, rng, want_distinct=True)
    idx[zero] = sub

    # Label 1: break one diagonal pair of corners; force a repeat in the top middle.
    one = np.flatnonzero(y == 1)
    anti_diagonal = rng.random(one.size) < 0.5
    _redraw_until_differs(idx, one[anti_diagonal], tr, bl, rng)
    _redraw_until_differs(idx, one[~anti_diagonal], tl, br, rng)
    sub = idx[one]
    _redraw_top_middle(sub, rng, want_distinct=False)
    idx[one] = sub

    return PALETTE[idx].reshape(n, N_FEATURES), y
