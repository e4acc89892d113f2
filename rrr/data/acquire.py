"""Dataset acquisition: copy from a local mirror or download, always checksum-verified.

Files are written to a temporary file in the destination directory and moved into
place with ``os.replace`` only after their checksum matched, so an interrupted or
corrupt transfer never leaves a file behind under its final name.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rrr.atomic import atomic_path
from rrr.progress import TransferProgress

MIRROR_ENV = "RRR_DATA_MIRROR"
CHUNK = 1 << 20
DOWNLOAD_TIMEOUT_S = 60
MIRROR_PROGRESS_BYTES = 64 << 20  # mirror copies this large report progress (downloads always do)

_HOW_TO_MIRROR = (
    f"set `data_mirror` in the config or the {MIRROR_ENV} environment variable to a "
    "directory that holds <subdir>/<file> (e.g. shared/data)"
)


class DataError(RuntimeError):
    """Base class for every data-layer error; its message is meant for the user."""


class ChecksumError(DataError):
    """A file's checksum differs from the registry's expected value."""


class MissingDataError(DataError):
    """A required file is neither in the mirror nor downloadable."""


class CorruptDataError(DataError):
    """A data file exists but cannot be read or parsed."""


@dataclass(frozen=True)
class FileSpec:
    """One file: its name, download URLs (first is canonical) and expected checksum.

    ``alternatives`` lists other files that are accepted in its place (each with its
    own checksum); the first one found is used.
    """

    name: str
    urls: tuple[str, ...]
    checksum: str
    algorithm: str = "sha256"
    alternatives: tuple[FileSpec, ...] = ()

    @property
    def variants(self) -> tuple[FileSpec, ...]:
        return (self, *self.alternatives)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its sub-directory in the mirror and its files."""

    subdir: str
    files: tuple[FileSpec, ...]


def _files(
    bases: Iterable[str], checksums: dict[str, str], algorithm: str = "sha256"
) -> tuple[FileSpec, ...]:
    bases = tuple(bases)
    return tuple(
        FileSpec(name, tuple(b + name for b in bases), digest, algorithm)
        for name, digest in checksums.items()
    )


_MNIST_URLS = (
    "http://yann.lecun.com/exdb/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_NOTMNIST_SAMPLE_URL = "https://raw.githubusercontent.com/davidflanagan/notMNIST-to-MNIST/master/"
_SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec("mnist", _files(_MNIST_URLS, {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    })),
    "fashion_mnist": DatasetSpec("fashion-mnist", _files((_FASHION_URL,), {
        "train-images-idx3-ubyte.gz":
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz":
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz":
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz":
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    })),
    "notmnist_small_sample": DatasetSpec("notmnist-small-10k-sample", _files(
        (_NOTMNIST_SAMPLE_URL,), {
            "t10k-images-idx3-ubyte.gz":
                "70ae9e06201f2827e5b0a3781a3169d735dd2efc69996b9eeaee7f10ed4044d7",
            "t10k-labels-idx1-ubyte.gz":
                "1fa03836e01c862542f8eb83463bb951bebec6fcb3efa28dad748c6b38a9021b",
        })),
    # The original bydate archive, or the mirror's byte-level reassembly of its members
    # (different archive bytes, hence a different checksum; see shared/data/MANIFEST.md).
    "newsgroups20": DatasetSpec("20newsgroups", (
        FileSpec(
            "20news-bydate.tar.gz",
            ("https://ndownloader.figshare.com/files/5975967",),
            "8f1b2514ca22a5ade8fbb9cfa5727df95fa587f4c87b786e15c759fa66d95610",
            alternatives=(FileSpec(
                "20news-bydate.reassembled.tar.gz", (),
                "2894b0dfd969521a50087b33a50cce1d32fdf34f8d06e34da519fafc2b584161",
            ),),
        ),
    )),
    "notmnist_small": DatasetSpec("notmnist-small", _files(
        ("http://yaroslavvb.com/upload/notMNIST/",), {
            "notMNIST_small.tar.gz":
                "76b2ef7ccc56452964780569db37b279c9cbe1bf442c3b38be784752683b3cec",
        })),
    # Only md5 checksums are published for SVHN and CIFAR-10.
    "svhn": DatasetSpec("svhn", _files((_SVHN_URL,), {
        "train_32x32.mat": "e26dedcc434d2e4c54c9b2d4a06d8373",
        "test_32x32.mat": "eb5a983be6a315427106f1b164d9cef3",
        "extra_32x32.mat": "a93ce644f1a588dc4d68dda5feec44a7",
    }, algorithm="md5")),
    "cifar10": DatasetSpec("cifar10", _files(
        ("https://www.cs.toronto.edu/~kriz/",),
        {"cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a"},
        algorithm="md5",
    )),
}


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks so large files need little memory."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256sum(path: Path) -> str:
    """SHA-256 hex digest of a file."""
    return file_digest(path, "sha256")


def _mismatch_message(name: str, source: str, algorithm: str, expected: str, actual: str) -> str:
    return (
        f"checksum mismatch for {name} (from {source}): expected {algorithm} {expected}, "
        f"got {actual}. The file is corrupt or not the expected version: delete it and "
        f"re-download, or check that the mirror path points at the right data."
    )


def verify(path: Path, expected: str, algorithm: str = "sha256") -> None:
    """Raise ChecksumError unless ``path`` has the expected hex digest."""
    actual = file_digest(path, algorithm)
    if actual != expected.lower():
        raise ChecksumError(
            _mismatch_message(Path(path).name, str(path), algorithm, expected, actual)
        )


def _resolve_mirror(mirror: Path | None) -> Path | None:
    if mirror is not None:
        return Path(mirror)
    env = os.environ.get(MIRROR_ENV)
    return Path(env) if env else None


def _umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_verified(
    src: BinaryIO, dest: Path, spec: FileSpec, source: str, progress: TransferProgress | None = None
) -> None:
    """Stream ``src`` to a temp file next to ``dest``; move it into place only if verified.

    ``progress`` (if given) counts the bytes as they come: lines to stderr, i.e. the job's log, or a tqdm bar.

    The file gets the mode any new file would (0666 less the umask, e.g. 0644), not the
    private 0600 of ``mkstemp``: raw data shared on a cluster is read by the whole group.
    """
    h = hashlib.new(spec.algorithm)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress.update(len(chunk))
        if progress is not None:
            progress.close()
        if h.hexdigest() != spec.checksum:
            raise ChecksumError(
                _mismatch_message(spec.name, source, spec.algorithm, spec.checksum, h.hexdigest())
            )
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _present(dest_dir: Path, spec: FileSpec) -> FileSpec | None:
    """The first variant already in ``dest_dir`` with the right checksum, if any."""
    for v in spec.variants:
        path = dest_dir / v.name
        if path.is_file() and file_digest(path, v.algorithm) == v.checksum:
            return v
    return None


def _from_mirror(mirror_dir: Path, dest_dir: Path, spec: FileSpec) -> tuple[FileSpec, str]:
    for v in spec.variants:
        src = mirror_dir / v.name
        if src.is_file():
            size = src.stat().st_size
            progress = TransferProgress(f"copying {src}", size) if size >= MIRROR_PROGRESS_BYTES else None
            with open(src, "rb") as f:
                _write_verified(f, dest_dir / v.name, v, str(src), progress)
            return v, str(src)
    tried = ", ".join(str(mirror_dir / v.name) for v in spec.variants)
    urls = ", ".join(u for v in spec.variants for u in v.urls) or "none known"
    raise MissingDataError(
        f"{spec.name} not found in the data mirror (tried {tried}); download URL: {urls}. "
        f"Fix the mirror path, or unset the mirror to download: {_HOW_TO_MIRROR}."
    )


def _download(dest_dir: Path, spec: FileSpec) -> tuple[FileSpec, str]:
    failures = []
    for v in spec.variants:
        for url in v.urls:
            try:
                with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
                    progress = TransferProgress(f"downloading {url}", _length(resp))
                    _write_verified(resp, dest_dir / v.name, v, url, progress)
                return v, url
            except (urllib.error.URLError, OSError) as e:
                failures.append(f"{url} ({e})")
    raise MissingDataError(
        f"could not download {spec.name} and no data mirror is configured; tried: "
        f"{'; '.join(failures) or 'no URL known'}. To work offline, {_HOW_TO_MIRROR}."
    )


def _length(resp: object) -> int | None:
    """The response's Content-Length, None when the server sends none."""
    length = getattr(resp, "length", None)
    return int(length) if isinstance(length, int) and length >= 0 else None


def fetch(dataset: str, dest_dir: Path, mirror: Path | None = None) -> list[Path]:
    """Place every file of ``dataset`` in ``dest_dir`` (verified) and return their paths.

    Copies from ``mirror/<subdir>/`` when a mirror is given (argument, else the
    RRR_DATA_MIRROR environment variable); otherwise downloads. Files already present
    with the right checksum are kept. The variant and source used for each file are
    recorded in ``dest_dir/<dataset>.provenance.json``.
    """
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r}; known: {', '.join(sorted(DATASETS))}")
    ds = DATASETS[dataset]
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    mirror_root = _resolve_mirror(mirror)
    paths, record = [], {}
    for spec in ds.files:
        used = _present(dest_dir, spec)
        if used is not None:
            source = "already present"
        elif mirror_root is not None:
            used, source = _from_mirror(mirror_root / ds.subdir, dest_dir, spec)
        else:
            used, source = _download(dest_dir, spec)
        paths.append(dest_dir / used.name)
        record[spec.name] = {"file": used.name, "source": source, used.algorithm: used.checksum}
    with atomic_path(dest_dir / f"{dataset}.provenance.json") as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    return paths


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; prints fetched paths, or the error message with exit code 1."""
    parser = argparse.ArgumentParser(prog="python -m rrr.data.acquire", description=fetch.__doc__)
    parser.add_argument("dataset", choices=sorted(DATASETS))
    parser.add_argument("dest_dir", type=Path)
    parser.add_argument("--mirror", type=Path, default=None,
                        help=f"local mirror root (default: ${MIRROR_ENV}, else download)")
    args = parser.parse_args(argv)
    try:
        for path in fetch(args.dataset, args.dest_dir, args.mirror):
            print(path)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
