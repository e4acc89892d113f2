"""Datasets of the adversarial chapter (reference §5.1), and :data:`MODELS`, the reference's transfer-grid order (the
grids themselves are read by :func:`rrr.adversarial.transfer.reference_transfer`).

* MNIST and Fashion-MNIST: pixels in [0, 1]; the first 5000 training images are the validation
  split (the reference discards it; we use it only for the optional λ selection), 55000 train.
* notMNIST: pixels (v − 127.5)/255 in [−0.5, 0.5]. The reference trains on 200000 images of
  notMNIST_large and tests on notMNIST_small. Offline we only have the "notMNIST-small 10k
  sample" (10000 images of notMNIST_small), which we split into train/validation/test with a
  seeded permutation; the full notMNIST_small archive is supported the same way when present.
* SVHN: grayscale (0.2989, 0.5870, 0.1140) with per-image global contrast normalization; the
  network adds LeCun LCN (rrr.adversarial.cnn). Its .mat files must be downloaded (not in the mirror).
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rrr.data.acquire import CorruptDataError, MissingDataError
from rrr.atomic import atomic_path
from rrr.data.idx import read_idx

SOURCES = ("mnist", "fashion_mnist", "notmnist_small_sample", "notmnist_small", "svhn")
LABELS = {
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "notmnist_small_sample": "notMNIST-small 10k sample",
    "notmnist_small": "notMNIST_small (full)",
    "svhn": "SVHN (grayscale)",
}
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"],
    "notmnist_small_sample": list("ABCDEFGHIJ"),
    "notmnist_small": list("ABCDEFGHIJ"),
    "svhn": [str(d) for d in range(10)],
}


@dataclass
class AdversarialData:
    """Train/validation/test arrays (flattened float32 images, int64 labels) and their metadata."""

    X: np.ndarray
    y: np.ndarray
    Xv: np.ndarray
    yv: np.ndarray
    Xt: np.ndarray
    yt: np.ndarray
    source: str
    side: int
    clip: tuple[float, float] = field(default=(0.0, 1.0))

    @property
    def label(self) -> str:
        return LABELS[self.source]

    def save(self, path: str | Path) -> None:
        """Uncompressed .npz (MNIST-sized arrays load in a fraction of a second)."""
        with atomic_path(path) as tmp:
            np.savez(tmp, **self.arrays())

    def arrays(self) -> dict[str, np.ndarray]:
        """What :meth:`save` writes and :meth:`load` reads back."""
        return dict(X=self.X, y=self.y, Xv=self.Xv, yv=self.yv, Xt=self.Xt, yt=self.yt,
                    source=np.asarray(self.source), side=np.asarray(self.side), clip=np.asarray(self.clip))

    @classmethod
    def load(cls, path: str | Path) -> AdversarialData:
        d = np.load(path)
        return cls(d["X"], d["y"], d["Xv"], d["yv"], d["Xt"], d["yt"], str(d["source"]), int(d["side"]),
                   tuple(map(float, d["clip"])))


def _idx_split(raw: Path, source: str, n_validation: int) -> AdversarialData:
    """MNIST-format train/test idx files in [0, 1]; the first ``n_validation`` train images validate."""
    X = read_idx(raw / "train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
    y = read_idx(raw / "train-labels-idx1-ubyte.gz").astype(np.int64)
    Xt = read_idx(raw / "t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
    yt = read_idx(raw / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return AdversarialData(X[n_validation:], y[n_validation:], X[:n_validation], y[:n_validation], Xt, yt,
                           source, 28, (0.0, 1.0))


def _permuted_split(X: np.ndarray, y: np.ndarray, source: str, seed: int, test_fraction: float,
                    validation_fraction: float) -> AdversarialData:
    order = np.random.default_rng(seed).permutation(len(X))
    n_test, n_val = round(len(X) * test_fraction), round(len(X) * validation_fraction)
    test, val, train = np.split(order, [n_test, n_test + n_val])
    return AdversarialData(X[train], y[train], X[val], y[val], X[test], y[test], source, 28, (-0.5, 0.5))


def _notmnist_pixels(images: np.ndarray) -> np.ndarray:
    return ((images.reshape(len(images), -1).astype(np.float32) - 127.5) / 255).astype(np.float32)


def _read_notmnist_tar(archive: Path) -> tuple[np.ndarray, np.ndarray]:
    """notMNIST_small.tar.gz: 28×28 PNGs in one folder per letter; unreadable files are skipped
    (the archive has a few empty ones, which the Udacity recipe also drops)."""
    from PIL import Image

    images, labels = [], []
    with tarfile.open(archive) as tar:
        for member in tar:
            parts = Path(member.name).parts
            if not member.isfile() or not member.name.endswith(".png") or len(parts) < 2:
                continue
            try:
                img = np.asarray(Image.open(io.BytesIO(tar.extractfile(member).read())).convert("L"))
            except (OSError, ValueError):
                continue
            if img.shape == (28, 28):
                images.append(img)
                labels.append("ABCDEFGHIJ".index(parts[-2]))
    if not images:
        raise CorruptDataError(f"{archive} holds no readable notMNIST PNGs")
    return np.stack(images), np.asarray(labels, np.int64)


def _svhn(raw: Path, max_train: int) -> AdversarialData:
    """SVHN as in the reference: validation = 400/class of train + 200/class of extra; train = the
    rest (extra first, each part shuffled), first ``max_train``; grayscale + global contrast norm."""
    from scipy.io import loadmat

    files = {part: raw / f"{part}_32x32.mat" for part in ("train", "extra", "test")}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise MissingDataError(
            "SVHN is not available here (missing " + ", ".join(missing) + "). It is not in the offline mirror: "
            "download it online (`python -m rrr.data.acquire svhn results/raw/svhn`) or set "
            "adversarial.datasets.svhn.enabled: false in the config."
        )

    def part(name: str) -> tuple[np.ndarray, np.ndarray]:
        m = loadmat(files[name])
        x = m["X"].transpose(3, 0, 1, 2).astype(np.float32) @ np.array([0.2989, 0.5870, 0.1140], np.float32)
        x = x.reshape(len(x), -1)
        sd = x.std(1, ddof=1, keepdims=True)
        x = (x - x.mean(1, keepdims=True)) / np.where(sd < 1e-4, 1.0, sd)
        y = m["y"].ravel().astype(np.int64) % 10
        return x.astype(np.float32), y

    rng = np.random.default_rng(0)
    val_x, val_y, rest = [], [], []
    for name, per_class in (("extra", 200), ("train", 400)):
        x, y = part(name)
        take = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(10)])
        keep = np.setdiff1d(np.arange(len(y)), take)
        val_x.append(x[take])
        val_y.append(y[take])
        keep = rng.permutation(keep)
        rest.append((x[keep], y[keep]))
    X = np.concatenate([r[0] for r in rest])[:max_train]
    y = np.concatenate([r[1] for r in rest])[:max_train]
    Xt, yt = part("test")
    return AdversarialData(X, y, np.concatenate(val_x), np.concatenate(val_y), Xt, yt, "svhn", 32,
                           (float(Xt.min()), float(Xt.max())))


def load_adversarial_data(source: str, raw: str | Path, *, seed: int = 0, test_fraction: float = 0.2,
                          validation_fraction: float = 0.1, n_validation: int = 5000,
                          svhn_max_train: int = 200000) -> AdversarialData:
    """Load one of :data:`SOURCES` from its raw folder (as placed by ``rrr.data.acquire``).

    ``seed``, ``test_fraction`` and ``validation_fraction`` split the notMNIST sets, which come
    without a train/test split here.
    """
    raw = Path(raw)
    if source in ("mnist", "fashion_mnist"):
        return _idx_split(raw, source, n_validation)
    if source == "notmnist_small_sample":
        images = read_idx(raw / "t10k-images-idx3-ubyte.gz")
        labels = read_idx(raw / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
        return _permuted_split(_notmnist_pixels(images), labels, source, seed, test_fraction, validation_fraction)
    if source == "notmnist_small":
        archive = raw / "notMNIST_small.tar.gz"
        if not archive.is_file():
            raise MissingDataError(
                f"{archive} is missing; fetch it with `python -m rrr.data.acquire notmnist_small {raw}`"
            )
        images, labels = _read_notmnist_tar(archive)
        return _permuted_split(_notmnist_pixels(images), labels, source, seed, test_fraction, validation_fraction)
    if source == "svhn":
        return _svhn(raw, svhn_max_train)
    raise ValueError(f"unknown dataset source {source!r}; choose one of {SOURCES}")


def first_of_each_class(y: np.ndarray, per_class: int = 1, n_classes: int = 10) -> np.ndarray:
    """Indices of the first ``per_class`` examples of each class, class by class."""
    return np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(n_classes)])


# The five models of the reference's transfer grids, in its order (§5.8).
MODELS = ("normal", "distilled", "advtrain", "insensitive", "doubleback")
