"""CIFAR-10 (Krizhevsky 2009) from the official python archive ``cifar-10-python.tar.gz``.

Acquisition (with its published md5) is registered in :mod:`rrr.data.acquire` as dataset
``cifar10``. The archive holds five training batches and one test batch, each a pickled
dict with ``data`` (10000 × 3072 uint8, channel-major) and ``labels``.
"""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np

from rrr.data.acquire import CorruptDataError, MissingDataError

ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "cifar-10-batches-py/test_batch"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _read_batch(archive: tarfile.TarFile, member: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        f = archive.extractfile(member)
        batch = pickle.load(f, encoding="bytes")  # the official, checksum-verified archive
    except (KeyError, pickle.UnpicklingError, EOFError, AttributeError) as e:
        raise CorruptDataError(f"cannot read {member} from the CIFAR-10 archive: {e}") from e
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.shape != (len(labels), 3072):
        raise CorruptDataError(f"{member}: data of shape {data.shape} for {len(labels)} labels.")
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar10(raw_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X_train uint8 (50000, 3, 32, 32), y_train int64 (50000,), X_test (10000, 3, 32, 32), y_test."""
    path = Path(raw_dir) / ARCHIVE
    if not path.is_file():
        raise MissingDataError(f"{path} does not exist; fetch it first (python -m rrr.data.acquire cifar10 DEST_DIR).")
    try:
        with tarfile.open(path, "r:gz") as archive:
            parts = [_read_batch(archive, m) for m in TRAIN_BATCHES]
            X_test, y_test = _read_batch(archive, TEST_BATCH)
    except (tarfile.TarError, OSError) as e:
        raise CorruptDataError(f"cannot open {path}: {e}; delete it and fetch it again.") from e
    X_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return X_train, y_train, X_test, y_test
