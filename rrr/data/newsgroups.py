"""20 Newsgroups, alt.atheism vs soc.religion.christian (spec §1.4), read from the bydate tarball.

Reproduces the document order of scikit-learn's ``fetch_20newsgroups(subset=...,
categories=...)`` without its download/cache machinery. That function builds its cache
with ``load_files(<split dir>, encoding="latin1")``, which lists all 20 category folders
sorted, files sorted within each, and shuffles the whole split with RandomState(0);
it then keeps the requested categories (labels in sorted-name order) and shuffles again
with RandomState(42). Headers, footers and quotes are kept (``remove=()``).
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from rrr.data.acquire import CorruptDataError, DataError, MissingDataError

CATEGORIES = ("alt.atheism", "soc.religion.christian")
SPLIT_DIRS = {"train": "20news-bydate-train", "test": "20news-bydate-test"}
LOAD_FILES_SEED = 0  # sklearn.datasets.load_files default random_state
FETCH_SEED = 42  # sklearn.datasets.fetch_20newsgroups default random_state


def _read_members(archive: Path, categories: set[str]) -> tuple[dict, dict]:
    """List every document per split and read the bytes of those in ``categories``.

    Returns ({split: [(category, filename), ...]}, {(split, category, filename): bytes}).
    """
    listing: dict[str, list[tuple[str, str]]] = {s: [] for s in SPLIT_DIRS}
    contents: dict[tuple[str, str, str], bytes] = {}
    split_of = {d: s for s, d in SPLIT_DIRS.items()}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                parts = member.name.removeprefix("./").split("/")
                if not member.isfile() or len(parts) != 3 or parts[0] not in split_of:
                    continue
                split, category, filename = split_of[parts[0]], parts[1], parts[2]
                listing[split].append((category, filename))
                if category in categories:
                    contents[(split, category, filename)] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise CorruptDataError(
            f"cannot read the 20 Newsgroups archive {archive}: {e}. Delete it and fetch it "
            "again (python -m rrr.data.acquire newsgroups20 DEST_DIR)."
        ) from e
    return listing, contents


def _sklearn_order(
    listing: list[tuple[str, str]], categories: Sequence[str]
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Emulate load_files + fetch_20newsgroups ordering; return kept docs and labels."""
    folders = sorted({c for c, _ in listing})
    docs = [(c, f) for c in folders for f in sorted(f for cc, f in listing if cc == c)]
    target = np.array([folders.index(c) for c, _ in docs])
    order = np.arange(len(docs))
    np.random.RandomState(LOAD_FILES_SEED).shuffle(order)
    docs, target = [docs[i] for i in order], target[order]

    wanted = sorted(folders.index(c) for c in categories)
    keep = np.flatnonzero(np.isin(target, wanted))
    docs, labels = [docs[i] for i in keep], np.searchsorted(wanted, target[keep])
    order = np.arange(len(docs))
    np.random.RandomState(FETCH_SEED).shuffle(order)
    return [docs[i] for i in order], labels[order].astype(np.int64)


def load_newsgroups(archive: Path, categories: Sequence[str] = CATEGORIES) -> dict:
    """Load train/test texts and labels from the bydate tar.gz, in scikit-learn's order.

    Labels index the sorted category names (alt.atheism = 0, soc.religion.christian = 1).
    Returns keys train_texts, train_labels, test_texts, test_labels, target_names.
    The archive's checksum is not checked here; ``rrr.data.acquire.fetch`` does that.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise MissingDataError(f"20 Newsgroups archive {archive} does not exist; fetch it with "
                               "python -m rrr.data.acquire newsgroups20 DEST_DIR.")
    listing, contents = _read_members(archive, set(categories))
    out: dict = {"target_names": sorted(categories)}
    for split in SPLIT_DIRS:
        missing = sorted(set(categories) - {c for c, _ in listing[split]})
        if missing:
            raise DataError(f"{archive} has no {SPLIT_DIRS[split]}/ folder(s) for {missing}; "
                            "is it the 20news-bydate archive?")
        docs, labels = _sklearn_order(listing[split], categories)
        out[f"{split}_texts"] = [contents[(split, c, f)].decode("latin-1") for c, f in docs]
        out[f"{split}_labels"] = labels
    return out


def tfidf_features(train_texts: Sequence[str], test_texts: Sequence[str],
                   max_features: int | None = 5000) -> tuple[np.ndarray, np.ndarray, TfidfVectorizer]:
    """Case-sensitive TF-IDF (lowercase=False, otherwise sklearn defaults) fit on train.

    Returns dense float32 train and test matrices and the fitted vectorizer. The vocabulary is
    :func:`most_frequent_terms`, which is sklearn's ``max_features`` with its ties broken the same way on every CPU.
    """
    vocabulary = None if max_features is None else most_frequent_terms(train_texts, max_features)
    vectorizer = TfidfVectorizer(lowercase=False, vocabulary=vocabulary)
    Xtr = vectorizer.fit_transform(train_texts).toarray().astype(np.float32)
    Xte = vectorizer.transform(test_texts).toarray().astype(np.float32)
    return Xtr, Xte, vectorizer


def most_frequent_terms(texts: Sequence[str], max_features: int) -> list[str]:
    """The ``max_features`` terms (sklearn's tokens, case kept) of largest total count in ``texts``, sorted; among
    terms of equal count, the alphabetically first.

    What ``TfidfVectorizer(max_features=...)`` keeps, except at ties: sklearn orders the counts with numpy's default
    sort, whose order among equal keys depends on the CPU's SIMD extensions (AVX-512 or AVX2), so the vocabulary, and
    every 20 Newsgroups number after it, would change from one machine to another. (The reference's 2017 sklearn broke
    the ties its own way, which no library today reproduces.)
    """
    counter = CountVectorizer(lowercase=False)
    totals = np.asarray(counter.fit_transform(texts).sum(axis=0)).ravel()
    names = counter.get_feature_names_out()  # sorted, so a stable sort puts equal counts alphabetically
    keep = np.argsort(-totals, kind="stable")[:max_features]
    return sorted(names[keep].tolist())
