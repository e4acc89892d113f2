"""Dataset generators and loaders match the reference definitions (spec §1.1-1.5)."""

from __future__ import annotations

import codecs
import gzip
import io
import pickle
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import fetch_20newsgroups, load_breast_cancer, load_files, load_iris

from rrr.data import (
    CorruptDataError,
    DataError,
    add_decoy_swatches,
    corner_mask,
    fetch,
    generate_toy_color,
    iris_cancer_split,
    iris_cancer_splits,
    iris_mask,
    iris_out,
    load_iris_cancer,
    load_newsgroups,
    make_decoy_mnist,
    read_idx,
    rule1_holds,
    rule2_holds,
    digit_shade,
    tfidf_features,
    three_class_2d,
    top_middle_mask,
    two_class_2d,
)
from rrr.data.toy_color import PALETTE



# ---------------------------------------------------------------- idx


def _idx_bytes(magic: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    return b"".join(int(v).to_bytes(4, "big") for v in (magic, *shape)) + payload


def test_read_idx_plain_and_gzipped(tmp_path: Path) -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = _idx_bytes(2051, images.shape, images.tobytes())
    (tmp_path / "img").write_bytes(raw)
    (tmp_path / "img.gz").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "img"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "img.gz"), images)
    (tmp_path / "lab").write_bytes(_idx_bytes(2049, (3,), b"\x01\x02\x09"))
    np.testing.assert_array_equal(read_idx(tmp_path / "lab"), [1, 2, 9])


@pytest.mark.parametrize("content, match", [
    (_idx_bytes(2050, (1,), b"\x00"), "magic number 2050"),
    (_idx_bytes(2049, (5,), b"\x00\x01"), "truncated"),
    (b"\x1f\x8b" + b"garbage" * 4, "decompress"),
])
def test_read_idx_rejects_bad_files(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(content)
    with pytest.raises(CorruptDataError, match=match):
        read_idx(path)


# ---------------------------------------------------------------- toy color


@pytest.fixture(scope="module")
def toy() -> tuple[np.ndarray, np.ndarray]:
    return generate_toy_color(4000, seed=0)


def test_toy_color_rules_per_class(toy) -> None:
    X, y = toy
    assert X.shape == (4000, 75) and X.dtype == np.uint8 and y.dtype == np.int64
    assert rule1_holds(X[y == 0]).all() and rule2_holds(X[y == 0]).all()
    assert not rule1_holds(X[y == 1]).any() and not rule2_holds(X[y == 1]).any()
    assert abs(y.mean() - 0.5) < 0.03


def test_toy_color_palette_and_noise(toy) -> None:
    X, y = toy
    pixels = X.reshape(-1, 3)
    assert (pixels[:, None, :] == PALETTE[None]).all(axis=2).any(axis=1).all()
    # Every palette color appears at every pixel position; the noise pixels are ~uniform.
    noise = ~(corner_mask() | top_middle_mask()).reshape(25, 3)[:, 0]
    counts = (X.reshape(-1, 25, 3)[:, noise, None, :] == PALETTE).all(axis=3).sum(axis=(0, 1))
    assert np.all(np.abs(counts / counts.sum() - 0.25) < 0.01)


def test_toy_color_rule_helpers_on_handmade_image() -> None:
    img = np.tile(PALETTE[0], (5, 5, 1))  # all red: corners equal, top middle repeated
    assert rule1_holds(img.ravel()[None]).item() and not rule2_holds(img.ravel()[None]).item()
    img[0, 1:4] = PALETTE[1:4]
    img[4, 4] = PALETTE[3]
    assert rule2_holds(img.ravel()[None]).item() and not rule1_holds(img.ravel()[None]).item()


def test_toy_color_masks() -> None:
    corners, top = corner_mask(), top_middle_mask()
    assert corners.shape == top.shape == (75,) and corners.dtype == bool

    def pixel(r: int, c: int) -> list[int]:
        return [(r * 5 + c) * 3 + ch for ch in range(3)]

    assert np.flatnonzero(corners).tolist() == sorted(
        pixel(0, 0) + pixel(0, 4) + pixel(4, 0) + pixel(4, 4))
    assert np.flatnonzero(top).tolist() == pixel(0, 1) + pixel(0, 2) + pixel(0, 3)
    assert corners.sum() == 12 and top.sum() == 9


def test_toy_color_deterministic_and_fast() -> None:
    start = time.perf_counter()
    X1, y1 = generate_toy_color(20000, seed=7)
    assert time.perf_counter() - start < 2.0
    X2, y2 = generate_toy_color(20000, seed=7)
    X3, _ = generate_toy_color(20000, seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


# ---------------------------------------------------------------- decoy MNIST


@pytest.fixture(scope="module")
def mnist_dir(tmp_path_factory, mirror: Path) -> Path:
    dest = tmp_path_factory.mktemp("mnist")
    fetch("mnist", dest, mirror=mirror)
    return dest


@pytest.fixture(scope="module")
def decoy(mnist_dir: Path) -> dict[str, np.ndarray]:
    return make_decoy_mnist(mnist_dir, seed=0)


def _swatch_values(X: np.ndarray, E: np.ndarray) -> np.ndarray:
    return X[E].reshape(len(X), 16)


def test_decoy_shapes(decoy) -> None:
    shapes = {k: v.shape for k, v in decoy.items()}
    assert shapes == {"Xr": (60000, 784), "X": (60000, 784), "y": (60000,), "E": (60000, 784),
                      "Xtr": (10000, 784), "Xt": (10000, 784), "yt": (10000,), "Et": (10000, 784)}
    assert decoy["X"].dtype == decoy["Xt"].dtype == np.uint8
    assert np.bincount(decoy["y"]).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918,
                                                6265, 5851, 5949]


@pytest.mark.parametrize("split", [("Xr", "X", "E"), ("Xtr", "Xt", "Et")])
def test_decoy_swatch_is_4x4_corner_and_rest_unchanged(decoy, split) -> None:
    raw, X, E = (decoy[k] for k in split)
    assert (E.sum(axis=1) == 16).all()
    blocks = E.reshape(-1, 28, 28)
    corners = np.stack([blocks[:, r:r + 4, c:c + 4].all(axis=(1, 2))
                        for r in (0, 24) for c in (0, 24)], axis=1)
    assert (corners.sum(axis=1) == 1).all()
    assert np.all(np.abs(corners.mean(axis=0) - 0.25) < 0.02)
    np.testing.assert_array_equal(X[~E], raw[~E])


def test_decoy_train_shade_encodes_label(decoy) -> None:
    sw = _swatch_values(decoy["X"], decoy["E"])
    np.testing.assert_array_equal(sw, np.repeat((255 - 25 * decoy["y"])[:, None], 16, axis=1))
    assert digit_shade(np.arange(10)).tolist() == [255 - 25 * d for d in range(10)]


def test_decoy_test_shade_is_random(decoy) -> None:
    sw = _swatch_values(decoy["Xt"], decoy["Et"])
    assert (sw == sw[:, :1]).all()
    assert set(np.unique(sw)) <= set(digit_shade(np.arange(10)).tolist())
    agreement = np.mean(sw[:, 0] == digit_shade(decoy["yt"]))
    assert 0.08 < agreement < 0.12


def test_decoy_deterministic_by_seed() -> None:
    X = np.zeros((50, 784), dtype=np.uint8)
    y = np.arange(50) % 10
    a, b, c = (add_decoy_swatches(X, y, s, randomize_shade=True) for s in (1, 1, 2))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


# ---------------------------------------------------------------- iris-cancer


def test_iris_cancer_matches_sklearn() -> None:
    X, y, names = load_iris_cancer()
    assert X.shape == (100, 34) and X.dtype == np.float64 and len(names) == 34
    iris, cancer = load_iris(), load_breast_cancer()
    np.testing.assert_array_equal(X[:50, :4], iris.data[50:100])
    np.testing.assert_array_equal(X[50:, :4], iris.data[100:150])
    malignant = np.flatnonzero(cancer.target == 0)[:50]
    benign = np.flatnonzero(cancer.target == 1)[:50]
    np.testing.assert_array_equal(X[:50, 4:], cancer.data[malignant])
    np.testing.assert_array_equal(X[50:, 4:], cancer.data[benign])
    assert y.tolist() == [0] * 50 + [1] * 50
    assert names[:4] == list(iris.feature_names) and names[4] == "mean radius"


def test_iris_cancer_split_and_masks() -> None:
    X, y, _ = load_iris_cancer()
    Xtr, Xte, ytr, yte = iris_cancer_split(X, y, seed=3)
    assert (len(Xtr), len(Xte), len(ytr), len(yte)) == (67, 33, 67, 33)
    again = iris_cancer_split(X, y, seed=3)
    np.testing.assert_array_equal(Xte, again[1])
    out = iris_out(Xte)
    assert (out[:, :4] == 0).all() and (out[:, 4:] == Xte[:, 4:]).all() and (Xte[:, :4] != 0).any()
    mask = iris_mask(67)
    assert mask.shape == (67, 34) and mask[:, :4].all() and not mask[:, 4:].any()


def test_iris_cancer_splits_stack() -> None:
    s = iris_cancer_splits(4, seed=1)
    assert {k: v.shape for k, v in s.items()} == {
        "Xtr": (4, 67, 34), "Xte": (4, 33, 34), "ytr": (4, 67), "yte": (4, 33)}
    t = iris_cancer_splits(4, seed=1)
    for k in s:
        np.testing.assert_array_equal(s[k], t[k])
    assert not np.array_equal(s["yte"][0], s["yte"][1])
    assert not np.array_equal(s["yte"], iris_cancer_splits(4, seed=2)["yte"])


# ---------------------------------------------------------------- 20 newsgroups


@pytest.fixture(scope="module")
def newsgroups(mirror: Path) -> dict:
    return load_newsgroups(mirror / "20newsgroups" / "20news-bydate.reassembled.tar.gz")


def test_newsgroups_counts(newsgroups) -> None:
    assert len(newsgroups["train_texts"]) == 1079 and len(newsgroups["test_texts"]) == 717
    assert np.bincount(newsgroups["train_labels"]).tolist() == [480, 599]
    assert np.bincount(newsgroups["test_labels"]).tolist() == [319, 398]
    assert newsgroups["target_names"] == ["alt.atheism", "soc.religion.christian"]
    assert newsgroups["train_texts"][0].startswith("From:")  # headers are kept


def test_newsgroups_tfidf_case_sensitive(newsgroups) -> None:
    Xtr, Xte, vec = tfidf_features(newsgroups["train_texts"], newsgroups["test_texts"])
    assert Xtr.shape == (1079, 5000) and Xte.shape == (717, 5000) and Xtr.dtype == np.float32
    vocab = vec.vocabulary_
    assert any(w[0].isupper() for w in vocab) and any(w.islower() for w in vocab)
    assert "God" in vocab and "god" in vocab
    np.testing.assert_allclose(np.linalg.norm(Xtr, axis=1), 1, rtol=1e-5)


def test_newsgroups_vocabulary_is_sklearns_max_features_with_ties_broken_alphabetically(newsgroups) -> None:
    """Where the counts differ, the same terms as ``TfidfVectorizer(max_features=5000)``; at the cutoff's tie, the
    alphabetically first (sklearn's choice there follows numpy's SIMD sort, which differs between CPUs)."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    texts = newsgroups["train_texts"]
    _, _, vec = tfidf_features(texts, newsgroups["test_texts"])
    ours = set(vec.get_feature_names_out())
    theirs = set(TfidfVectorizer(lowercase=False, max_features=5000).fit(texts).get_feature_names_out())
    counter = CountVectorizer(lowercase=False)
    totals = dict(zip(counter.fit(texts).get_feature_names_out(), counter.transform(texts).sum(axis=0).A1))
    cutoff = min(totals[t] for t in ours)
    assert len(ours) == len(theirs) == 5000 and cutoff == min(totals[t] for t in theirs)
    assert {t for t in ours if totals[t] > cutoff} == {t for t in theirs if totals[t] > cutoff}
    tied = sorted(t for t in totals if totals[t] == cutoff)
    assert len(tied) > len(ours & set(tied)) > 0  # the cutoff falls inside a tie ...
    assert sorted(ours & set(tied)) == tied[: len(ours & set(tied))]  # ... and the first names in it are kept


def _synthetic_bydate(root: Path) -> Path:
    """A small bydate-like archive with 5 groups and awkwardly sorting file names."""
    rng = np.random.default_rng(0)
    groups = ["comp.x", "alt.atheism", "sci.y", "soc.religion.christian", "talk.z"]
    archive = root / "tiny-bydate.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for split in ("20news-bydate-train", "20news-bydate-test"):
            for g in groups:
                for doc_id in rng.choice(100000, size=int(rng.integers(5, 25)), replace=False):
                    data = f"{split} {g} {doc_id} \xe9".encode("latin-1")
                    info = tarfile.TarInfo(f"{split}/{g}/{doc_id}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    tar_dir = root / "extracted"
    with tarfile.open(archive) as tar:
        tar.extractall(tar_dir, filter="data")
    return archive


def test_newsgroups_order_matches_sklearn_fetch(tmp_path: Path) -> None:
    """Plant load_files' cache for fetch_20newsgroups and compare document order."""
    archive = _synthetic_bydate(tmp_path)
    cache = {split: load_files(tmp_path / "extracted" / f"20news-bydate-{split}",
                               encoding="latin1") for split in ("train", "test")}
    home = tmp_path / "home"
    home.mkdir()
    (home / "20news-bydate_py3.pkz").write_bytes(codecs.encode(pickle.dumps(cache), "zlib_codec"))
    cats = ["soc.religion.christian", "alt.atheism"]
    ours = load_newsgroups(archive, cats)
    for split in ("train", "test"):
        ref = fetch_20newsgroups(data_home=str(home), subset=split, categories=cats,
                                 download_if_missing=False)
        assert ours[f"{split}_texts"] == ref.data
        np.testing.assert_array_equal(ours[f"{split}_labels"], ref.target)


def test_newsgroups_bad_archives(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(CorruptDataError, match="cannot read"):
        load_newsgroups(broken)
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(DataError, match="alt.atheism"):
        load_newsgroups(empty)


# ---------------------------------------------------------------- 2D toys


def test_two_class_2d() -> None:
    X, y = two_class_2d(n=5000, seed=0)
    assert X.shape == (5000, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() >= -50 and X.max() <= 50
    f = X[:, 0].astype(np.float64) ** 4 + X[:, 1].astype(np.float64) ** 4
    assert np.mean(y == (f > 0.66 * f.mean())) > 0.999
    np.testing.assert_array_equal(two_class_2d(n=5000, seed=0)[0], X)
    assert two_class_2d(seed=1)[0].shape == (20000, 2)


def test_three_class_2d() -> None:
    X, y = three_class_2d(n=6000, seed=0)
    assert X.shape == (6000, 2) and X.min() >= 0 and X.max() <= 100
    assert set(np.unique(y)) == {0, 1, 2}
    x0, x1 = X[:, 0].astype(np.float64), X[:, 1].astype(np.float64)
    far = (x0**2 + x1**2 > 7000) & (3 * x0 - 17 * x1 < 14)
    assert np.mean((y == 0) == far) > 0.999
    assert (y[(x0 > 45) & ~far] == 1).all()
    assert three_class_2d(seed=0)[0].shape == (30000, 2)
