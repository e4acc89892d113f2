"""Datasets of the adversarial chapter (reference §5.1) and the reference's printed transfer grids.

* MNIST and Fashion-MNIST: pixels in [0, 1]; the first 5000 training images are the validation
  split (the reference discards it; we use it only for the optional λ selection), 55000 train.
* notMNIST: pixels (v − 127.5)/255 in [−0.5, 0.5]. The reference trains on 200000 images of
  notMNIST_large and tests on notMNIST_small. Offline we only have the "notMNIST-small 10k
  sample" (10000 images of notMNIST_small), which we split into train/validation/test with a
  seeded permutation; the full notMNIST_small archive is supported the same way when present.
* SVHN: grayscale (0.2989, 0.5870, 0.1140) with per-image global contrast normalization; the
  network adds LeCun LCN (rrr.cnn). Its .mat files must be downloaded (not in the mirror).
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rrr.data.acquire import CorruptDataError, MissingDataError
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
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp.npz")
        np.savez(tmp, X=self.X, y=self.y, Xv=self.Xv, yv=self.yv, Xt=self.Xt, yt=self.yt,
                            source=self.source, side=self.side, clip=np.asarray(self.clip))
        tmp.replace(path)

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


# Reference §5.9: accuracy × 256 on the first 256 test images for ε = 0, 0.1, …, 0.7, rows
# "dataset attack evaluated-model source-model counts…", copied from the notebook outputs.
MODELS = ("normal", "distilled", "advtrain", "insensitive", "doubleback")
EPSILONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
_REFERENCE_GRIDS = """
mnist fgsm normal normal 255 186 71 29 18 11 10 10
mnist fgsm normal distilled 255 253 253 253 253 253 253 253
mnist fgsm normal advtrain 255 248 228 179 89 41 18 15
mnist fgsm normal insensitive 255 244 166 72 19 11 12 14
mnist fgsm normal doubleback 255 243 194 86 26 15 17 15
mnist fgsm distilled normal 255 242 148 54 19 16 13 13
mnist fgsm distilled distilled 255 254 254 254 254 254 254 254
mnist fgsm distilled advtrain 255 246 153 38 19 15 14 14
mnist fgsm distilled insensitive 255 235 87 19 14 12 13 13
mnist fgsm distilled doubleback 255 236 88 21 12 11 12 13
mnist fgsm advtrain normal 256 252 249 219 117 45 18 17
mnist fgsm advtrain distilled 256 255 255 255 255 254 254 254
mnist fgsm advtrain advtrain 256 255 254 247 167 70 37 25
mnist fgsm advtrain insensitive 256 248 238 155 32 14 13 12
mnist fgsm advtrain doubleback 256 252 237 161 41 13 11 14
mnist fgsm insensitive normal 255 251 237 190 125 78 42 32
mnist fgsm insensitive distilled 255 255 253 253 253 253 253 253
mnist fgsm insensitive advtrain 255 252 240 210 151 106 46 26
mnist fgsm insensitive insensitive 255 242 140 29 6 1 1 2
mnist fgsm insensitive doubleback 255 249 199 110 38 15 7 9
mnist fgsm doubleback normal 256 252 236 204 159 101 73 58
mnist fgsm doubleback distilled 256 256 255 254 254 254 254 254
mnist fgsm doubleback advtrain 256 252 240 204 162 124 94 72
mnist fgsm doubleback insensitive 256 247 211 128 48 22 16 16
mnist fgsm doubleback doubleback 256 236 167 71 26 13 8 8
mnist tgsm normal normal 255 207 64 19 4 8 14 14
mnist tgsm normal distilled 255 248 190 98 38 20 16 15
mnist tgsm normal advtrain 255 248 231 161 76 29 16 14
mnist tgsm normal insensitive 255 246 196 85 29 17 17 17
mnist tgsm normal doubleback 255 248 201 109 31 18 17 17
mnist tgsm distilled normal 255 242 80 18 14 14 14 14
mnist tgsm distilled distilled 255 147 11 6 10 13 13 14
mnist tgsm distilled advtrain 255 248 123 27 15 14 14 14
mnist tgsm distilled insensitive 255 245 91 20 15 14 14 14
mnist tgsm distilled doubleback 255 245 96 19 13 14 14 14
mnist tgsm advtrain normal 256 253 250 217 95 25 16 16
mnist tgsm advtrain distilled 256 254 252 218 91 24 14 13
mnist tgsm advtrain advtrain 256 254 254 245 181 88 44 36
mnist tgsm advtrain insensitive 256 254 250 195 54 17 16 16
mnist tgsm advtrain doubleback 256 254 248 202 61 22 17 12
mnist tgsm insensitive normal 255 253 241 193 105 50 32 29
mnist tgsm insensitive distilled 255 251 241 203 117 54 27 23
mnist tgsm insensitive advtrain 255 253 246 216 133 63 29 24
mnist tgsm insensitive insensitive 255 248 199 62 14 6 5 9
mnist tgsm insensitive doubleback 255 252 226 136 43 17 10 14
mnist tgsm doubleback normal 256 253 243 214 132 56 24 12
mnist tgsm doubleback distilled 256 251 244 212 144 72 35 21
mnist tgsm doubleback advtrain 256 252 247 224 170 90 59 45
mnist tgsm doubleback insensitive 256 253 234 143 35 15 14 17
mnist tgsm doubleback doubleback 256 248 203 74 9 6 11 14
notmnist fgsm normal normal 245 109 56 35 31 24 24 25
notmnist fgsm normal distilled 245 240 238 237 236 236 236 237
notmnist fgsm normal advtrain 245 242 231 209 155 98 67 43
notmnist fgsm normal insensitive 245 235 192 110 36 16 12 10
notmnist fgsm normal doubleback 245 238 208 126 45 21 17 14
notmnist fgsm distilled normal 242 237 225 202 165 121 83 53
notmnist fgsm distilled distilled 242 235 235 235 235 235 235 235
notmnist fgsm distilled advtrain 242 240 234 218 180 135 96 53
notmnist fgsm distilled insensitive 242 233 206 118 35 9 4 6
notmnist fgsm distilled doubleback 242 236 207 122 29 10 8 5
notmnist fgsm advtrain normal 246 244 241 239 221 190 152 116
notmnist fgsm advtrain distilled 246 244 240 240 239 238 235 235
notmnist fgsm advtrain advtrain 246 237 237 235 222 195 160 113
notmnist fgsm advtrain insensitive 246 241 234 224 140 47 21 15
notmnist fgsm advtrain doubleback 246 241 237 213 132 43 20 21
notmnist fgsm insensitive normal 246 243 239 232 216 183 134 78
notmnist fgsm insensitive distilled 246 243 240 238 235 235 235 235
notmnist fgsm insensitive advtrain 246 243 239 231 223 203 152 83
notmnist fgsm insensitive insensitive 246 232 196 119 33 4 2 3
notmnist fgsm insensitive doubleback 246 238 210 152 33 2 1 5
notmnist fgsm doubleback normal 246 245 241 234 225 201 160 96
notmnist fgsm doubleback distilled 246 242 239 238 236 236 236 236
notmnist fgsm doubleback advtrain 246 243 241 234 228 215 179 122
notmnist fgsm doubleback insensitive 246 238 218 170 82 12 2 1
notmnist fgsm doubleback doubleback 246 235 213 152 43 3 1 1
notmnist tgsm normal normal 245 140 59 20 12 5 4 4
notmnist tgsm normal distilled 245 243 224 170 97 49 28 20
notmnist tgsm normal advtrain 245 245 233 216 163 105 61 37
notmnist tgsm normal insensitive 245 241 216 141 46 23 22 21
notmnist tgsm normal doubleback 245 242 219 140 51 25 12 12
notmnist tgsm distilled normal 242 241 235 216 162 103 58 42
notmnist tgsm distilled distilled 242 217 121 50 22 10 5 2
notmnist tgsm distilled advtrain 242 242 238 218 193 145 105 67
notmnist tgsm distilled insensitive 242 240 217 153 46 17 9 12
notmnist tgsm distilled doubleback 242 241 217 157 57 14 11 12
notmnist tgsm advtrain normal 246 245 243 240 229 203 161 97
notmnist tgsm advtrain distilled 246 246 244 242 225 183 140 76
notmnist tgsm advtrain advtrain 246 244 240 239 224 195 160 124
notmnist tgsm advtrain insensitive 246 247 242 225 167 59 22 20
notmnist tgsm advtrain doubleback 246 246 242 227 157 52 21 14
notmnist tgsm insensitive normal 246 244 241 234 222 196 138 72
notmnist tgsm insensitive distilled 246 245 238 232 212 165 90 31
notmnist tgsm insensitive advtrain 246 246 245 236 230 211 175 109
notmnist tgsm insensitive insensitive 246 238 214 152 62 16 9 9
notmnist tgsm insensitive doubleback 246 244 225 169 70 8 5 5
notmnist tgsm doubleback normal 246 244 242 239 226 210 169 87
notmnist tgsm doubleback distilled 246 247 240 235 220 188 119 52
notmnist tgsm doubleback advtrain 246 244 242 240 232 221 203 130
notmnist tgsm doubleback insensitive 246 242 228 191 126 34 14 10
notmnist tgsm doubleback doubleback 246 240 222 169 78 9 4 5
svhn fgsm normal normal 234 161 161 161 154 139 121 96
svhn fgsm normal distilled 234 224 217 203 188 155 134 108
svhn fgsm normal advtrain 234 198 180 168 159 139 119 96
svhn fgsm normal insensitive 234 170 92 46 25 20 18 12
svhn fgsm normal doubleback 234 187 127 75 48 39 32 25
svhn fgsm distilled normal 232 201 178 165 158 138 110 96
svhn fgsm distilled distilled 232 226 216 201 174 147 117 104
svhn fgsm distilled advtrain 232 211 186 171 159 136 108 97
svhn fgsm distilled insensitive 232 168 95 48 30 26 19 18
svhn fgsm distilled doubleback 232 189 123 71 51 35 31 30
svhn fgsm advtrain normal 232 221 212 203 196 178 156 134
svhn fgsm advtrain distilled 232 230 222 216 204 187 167 146
svhn fgsm advtrain advtrain 232 202 190 181 172 161 148 125
svhn fgsm advtrain insensitive 232 183 116 56 28 17 9 9
svhn fgsm advtrain doubleback 232 198 143 89 53 39 30 23
svhn fgsm insensitive normal 237 219 205 194 183 174 159 144
svhn fgsm insensitive distilled 237 232 224 218 211 200 184 168
svhn fgsm insensitive advtrain 237 215 196 183 171 162 154 139
svhn fgsm insensitive insensitive 237 173 95 38 20 13 8 7
svhn fgsm insensitive doubleback 237 192 141 82 46 28 17 11
svhn fgsm doubleback normal 224 221 214 203 197 189 177 152
svhn fgsm doubleback distilled 224 224 222 216 211 201 186 159
svhn fgsm doubleback advtrain 224 217 208 195 185 181 163 143
svhn fgsm doubleback insensitive 224 196 151 104 72 39 27 19
svhn fgsm doubleback doubleback 224 186 137 77 40 20 14 10
svhn tgsm normal normal 234 103 40 25 19 13 7 8
svhn tgsm normal distilled 234 210 179 146 110 75 57 41
svhn tgsm normal advtrain 234 214 186 151 121 100 80 68
svhn tgsm normal insensitive 234 196 136 71 41 27 21 16
svhn tgsm normal doubleback 234 208 166 101 72 50 43 32
svhn tgsm distilled normal 232 214 170 135 95 75 54 43
svhn tgsm distilled distilled 232 78 23 13 9 7 6 9
svhn tgsm distilled advtrain 232 220 191 159 128 99 81 69
svhn tgsm distilled insensitive 232 204 124 71 40 30 22 21
svhn tgsm distilled doubleback 232 214 164 96 69 48 42 30
svhn tgsm advtrain normal 232 230 228 219 210 203 188 172
svhn tgsm advtrain distilled 232 230 227 223 221 215 206 193
svhn tgsm advtrain advtrain 232 223 218 215 206 200 185 176
svhn tgsm advtrain insensitive 232 216 152 78 48 28 19 14
svhn tgsm advtrain doubleback 232 220 177 107 66 43 27 19
svhn tgsm insensitive normal 237 230 219 209 201 188 174 163
svhn tgsm insensitive distilled 237 231 222 208 197 186 175 160
svhn tgsm insensitive advtrain 237 229 215 202 186 171 150 138
svhn tgsm insensitive insensitive 237 199 135 75 36 21 9 7
svhn tgsm insensitive doubleback 237 215 173 101 54 36 24 18
svhn tgsm doubleback normal 224 221 214 214 210 203 194 186
svhn tgsm doubleback distilled 224 223 218 216 212 204 197 189
svhn tgsm doubleback advtrain 224 221 216 211 207 196 181 161
svhn tgsm doubleback insensitive 224 212 183 129 93 61 43 30
svhn tgsm doubleback doubleback 224 213 160 97 57 32 22 14
"""


def reference_transfer(dataset: str, attack: str) -> np.ndarray:
    """The reference's transfer grid ``accuracy[evaluated, source, eps]`` (models in :data:`MODELS`
    order, ε in :data:`EPSILONS`) for dataset mnist/notmnist/svhn and attack fgsm/tgsm."""
    grid = np.full((len(MODELS), len(MODELS), len(EPSILONS)), np.nan)
    for line in _REFERENCE_GRIDS.strip().splitlines():
        d, a, evaluated, source, *counts = line.split()
        if d == dataset and a == attack:
            grid[MODELS.index(evaluated), MODELS.index(source)] = np.asarray(counts, float) / 256
    if np.isnan(grid).any():
        raise KeyError(f"no reference grid for {dataset} {attack}")
    return grid
