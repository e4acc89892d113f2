"""Reader for the (optionally gzipped) IDX format used by MNIST-style datasets."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from rrr.data.acquire import CorruptDataError, MissingDataError

# Magic numbers of unsigned-byte IDX files: 0x0801 = 1-D labels, 0x0803 = 3-D images.
IDX_LABELS = 2049
IDX_IMAGES = 2051
_NDIM = {IDX_LABELS: 1, IDX_IMAGES: 3}


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    return raw


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX label (magic 2049) or image (magic 2051) file as a uint8 array.

    Labels come back with shape (n,), images with shape (n, rows, cols).
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"IDX file {path} does not exist; fetch the dataset first "
                               "(python -m rrr.data.acquire DATASET DEST_DIR).")
    try:
        data = _read_bytes(path)
    except (OSError, EOFError, zlib.error) as e:
        raise CorruptDataError(
            f"cannot decompress {path}: {e}; delete it and fetch it again."
        ) from e
    if len(data) < 8:
        raise CorruptDataError(f"{path} is too short to be an IDX file ({len(data)} bytes).")
    magic = int.from_bytes(data[:4], "big")
    if magic not in _NDIM:
        raise CorruptDataError(
            f"{path} has IDX magic number {magic}; expected {IDX_LABELS} (labels) or "
            f"{IDX_IMAGES} (images). Is this the right file?"
        )
    ndim = _NDIM[magic]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + int(np.prod(shape)):
        raise CorruptDataError(
            f"{path}: header promises shape {shape} ({header + int(np.prod(shape))} bytes) "
            f"but the file holds {len(data)} bytes; it is truncated or corrupt."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()
