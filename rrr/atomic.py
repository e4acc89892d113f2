"""Write a file so that a killed job leaves the old file or the new one, never half of one (temp file, then rename).

Each write goes through its own temporary file (so two processes writing one path cannot mix their bytes), which
is flushed to disk before the rename (so a crash cannot leave an empty file behind a completed rename). A cached
file written with :func:`write_with_sidecar` records its SHA-256 in ``<path>.json`` beside it, checked on load
(:func:`read_sidecar`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable; best effort (some systems and file systems cannot open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _create_unique(path: Path) -> Path:
    """Create an empty, new temporary sibling of ``path`` (``O_EXCL``: never one another writer holds) with the mode
    any new file gets under the umask, as ``path`` itself would (``tempfile.mkstemp`` would make it 0600)."""
    while True:
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a new, unique temporary sibling of ``path`` to write to; when the block ends without error, flush it to
    disk and rename it onto ``path`` (then flush the folder).

    The temporary name starts with a dot and ends in ``.tmp<suffix>`` (numpy, matplotlib and pandas choose the
    format from the suffix). On an error it is removed and ``path`` is left as it was. Two writers of one path each
    write their own temporary: ``path`` ends up as one writer's whole file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_unique(path)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


class CorruptFileError(RuntimeError):
    """A cached file's bytes differ from the SHA-256 its sidecar (``<path>.json``) recorded when it was written."""


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def sidecar_path(path: str | Path) -> Path:
    """Where a cached file's metadata lives: ``<path>.json`` beside it."""
    return Path(f"{path}.json")


def write_with_sidecar(path: str | Path, write: Callable[[Path], object], metadata: Mapping) -> None:
    """Write ``path`` atomically (``write(tmp)``), then its sidecar ``<path>.json``: ``metadata`` plus the file's
    ``sha256``. The file comes first, so a sidecar always describes a complete file; a job killed between the two
    leaves a file its old sidecar does not match, which :func:`read_sidecar` detects."""
    with atomic_path(path) as tmp:
        write(tmp)
        digest = file_sha256(tmp)
    with atomic_path(sidecar_path(path)) as tmp:
        tmp.write_text(json.dumps({**metadata, "sha256": digest}, indent=2, default=str))


def verify_sidecar(path: str | Path, metadata: Mapping) -> None:
    """Raise :class:`CorruptFileError` when ``metadata`` (a sidecar's contents) records a ``sha256`` that ``path``
    does not have. A sidecar without one (written before checksums were recorded) is accepted."""
    expected = metadata.get("sha256")
    if expected is None:
        return
    actual = file_sha256(path)
    if actual != expected:
        raise CorruptFileError(
            f"{path} does not match its sidecar {sidecar_path(path)}: expected sha256 {expected}, got {actual}. The "
            f"file is corrupt or was replaced after its sidecar was written (e.g. a job killed while saving): delete "
            f"{path} and rerun the rule that makes it (Snakemake reruns it once the file is missing)."
        )


def read_sidecar(path: str | Path) -> dict:
    """The sidecar ``<path>.json`` of a cached file, after checking the file against its ``sha256``
    (:func:`verify_sidecar`)."""
    metadata = json.loads(sidecar_path(path).read_text())
    verify_sidecar(path, metadata)
    return metadata
