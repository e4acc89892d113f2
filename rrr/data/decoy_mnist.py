"""Decoy MNIST (spec §1.2): MNIST with a 4x4 gray swatch in a random corner.

In training images the swatch shade encodes the label (255 - 25*y), a decoy a model
can latch onto; in test images the shade is drawn independently of the label.
Pixels stay raw uint8 0-255.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rrr.data.acquire import CorruptDataError
from rrr.data.idx import read_idx

SIDE = 28
SWATCH = 4
SHADE_STEP = 25
MNIST_FILES = {
    "X_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "X_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def load_mnist(raw_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the four MNIST idx .gz files in ``raw_dir``.

    Returns X_train uint8 (60000,784), y_train int64 (60000,), X_test (10000,784), y_test.
    """
    arrays = {key: read_idx(Path(raw_dir) / name) for key, name in MNIST_FILES.items()}
    for split in ("train", "test"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        if X.ndim != 3 or y.ndim != 1 or len(X) != len(y) or X.shape[1:] != (SIDE, SIDE):
            raise CorruptDataError(
                f"MNIST {split} files in {raw_dir} disagree: images {X.shape}, labels {y.shape}."
            )
    return (
        arrays["X_train"].reshape(-1, SIDE * SIDE), arrays["y_train"].astype(np.int64),
        arrays["X_test"].reshape(-1, SIDE * SIDE), arrays["y_test"].astype(np.int64),
    )


def digit_shade(y: np.ndarray) -> np.ndarray:
    """The swatch shade that encodes digit(s) y in training: 255 - 25*y (0 -> 255, ..., 9 -> 30), as uint8."""
    return (255 - SHADE_STEP * np.asarray(y, dtype=np.int64)).astype(np.uint8)


def add_decoy_swatches(X: np.ndarray, y: np.ndarray, seed: int | np.random.SeedSequence,
                       randomize_shade: bool) -> tuple[np.ndarray, np.ndarray]:
    """Paint a 4x4 swatch into a random corner of each flattened 28x28 image.

    The swatch rows are the first or last four (p=0.5) and, independently, so are its
    columns. Its shade is ``digit_shade(y)``, or ``digit_shade(r)`` with r uniform on
    0..9 when ``randomize_shade``. Returns the decoy images (uint8) and the bool mask E
    (n,784) that is True exactly on the swatch pixels.
    """
    rng = np.random.default_rng(seed)
    n = len(X)
    bottom = rng.random(n) < 0.5
    right = rng.random(n) < 0.5
    digits = rng.integers(0, 10, size=n) if randomize_shade else np.asarray(y)
    offsets = np.arange(SWATCH)
    rows = np.where(bottom[:, None], SIDE - SWATCH + offsets, offsets)  # (n,4)
    cols = np.where(right[:, None], SIDE - SWATCH + offsets, offsets)
    E = np.zeros((n, SIDE, SIDE), dtype=bool)
    E[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]] = True
    E = E.reshape(n, SIDE * SIDE)
    X_decoy = np.where(E, digit_shade(digits)[:, None], np.asarray(X, dtype=np.uint8))
    return X_decoy.astype(np.uint8), E


def make_decoy_mnist(raw_dir: Path, seed: int) -> dict[str, np.ndarray]:
    """Build the Decoy MNIST arrays Xr, X, y, E (train) and Xtr, Xt, yt, Et (test).

    Train swatches encode the label; test swatches get a label-independent shade.
    Train and test use independent streams derived from ``seed``.
    """
    Xr, y, Xtr, yt = load_mnist(raw_dir)
    train_seed, test_seed = np.random.SeedSequence(seed).spawn(2)
    X, E = add_decoy_swatches(Xr, y, train_seed, randomize_shade=False)
    Xt, Et = add_decoy_swatches(Xtr, yt, test_seed, randomize_shade=True)
    return {"Xr": Xr, "X": X, "y": y, "E": E, "Xtr": Xtr, "Xt": Xt, "yt": yt, "Et": Et}
