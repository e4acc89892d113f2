"""Write a file so that a killed job leaves the old file or the new one, never half of one (temp file, then rename).

Each write goes through its own temporary file (so two processes writing one path cannot mix their bytes), which
is flushed to disk before the rename (so a crash cannot leave an empty file behind a completed rename).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
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
