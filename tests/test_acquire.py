"""Acquisition: mirror copies and downloads are checksum-verified and atomic."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest

from rrr.data import acquire
from rrr.data.acquire import (
    DATASETS,
    ChecksumError,
    DatasetSpec,
    FileSpec,
    MissingDataError,
    fetch,
    sha256sum,
    verify,
)

REPO = Path(__file__).resolve().parents[1]
MNIST_TRAIN_IMAGES = "train-images-idx3-ubyte.gz"



def _leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir())


def test_sha256sum_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256sum(path) == digest
    verify(path, digest)
    with pytest.raises(ChecksumError, match=digest):
        verify(path, "0" * 64)


def test_registry_matches_mirror_sums(mirror: Path) -> None:
    lines = (mirror / "SHA256SUMS").read_text().splitlines()
    sums = {path: digest for digest, path in (line.split() for line in lines)}
    for ds in DATASETS.values():
        for spec in ds.files:
            for v in spec.variants:
                assert len(v.checksum) == hashlib.new(v.algorithm).digest_size * 2
                key = f"{ds.subdir}/{v.name}"
                if key in sums:
                    assert sums[key] == v.checksum, key


def test_fetch_mnist_from_mirror(mirror: Path, tmp_path: Path) -> None:
    dest = tmp_path / "raw"
    paths = fetch("mnist", dest, mirror=mirror)
    assert [p.name for p in paths] == [f.name for f in DATASETS["mnist"].files]
    for p, spec in zip(paths, DATASETS["mnist"].files, strict=True):
        assert sha256sum(p) == spec.checksum
    assert _leftovers(dest) == sorted([p.name for p in paths] + ["mnist.provenance.json"])

    # Present and correct: kept as is, nothing is copied again.
    mtimes = [p.stat().st_mtime_ns for p in paths]
    assert fetch("mnist", dest, mirror=tmp_path / "no-such-mirror") == paths
    assert [p.stat().st_mtime_ns for p in paths] == mtimes


def test_fetch_uses_env_mirror(mirror: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(acquire.MIRROR_ENV, str(mirror))
    paths = fetch("notmnist_small_sample", tmp_path)
    assert all(p.is_file() for p in paths)


def _fake_mirror(tmp_path: Path, files: dict[str, bytes], subdir: str = "mnist") -> Path:
    root = tmp_path / "fake-mirror"
    (root / subdir).mkdir(parents=True)
    for name, data in files.items():
        (root / subdir / name).write_bytes(data)
    return root


def test_corrupt_mirror_file_raises_and_leaves_nothing(tmp_path: Path) -> None:
    bad = b"not the mnist training images"
    root = _fake_mirror(tmp_path, {MNIST_TRAIN_IMAGES: bad})
    dest = tmp_path / "dest"
    with pytest.raises(ChecksumError) as err:
        fetch("mnist", dest, mirror=root)
    msg = str(err.value)
    assert MNIST_TRAIN_IMAGES in msg
    assert DATASETS["mnist"].files[0].checksum in msg
    assert hashlib.sha256(bad).hexdigest() in msg
    assert "delete" in msg and "mirror" in msg
    assert _leftovers(dest) == []


def test_wrong_file_in_dest_is_replaced(mirror: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "t10k-labels-idx1-ubyte.gz").write_bytes(b"stale")
    paths = fetch("notmnist_small_sample", dest, mirror=mirror)
    assert sha256sum(paths[1]) == DATASETS["notmnist_small_sample"].files[1].checksum


def test_missing_mirror_file_names_file_and_fix(tmp_path: Path) -> None:
    root = _fake_mirror(tmp_path, {})
    with pytest.raises(MissingDataError) as err:
        fetch("mnist", tmp_path / "dest", mirror=root)
    msg = str(err.value)
    assert MNIST_TRAIN_IMAGES in msg
    assert str(root / "mnist") in msg
    assert "yann.lecun.com" in msg
    assert "data_mirror" in msg and acquire.MIRROR_ENV in msg


def test_newsgroups_reassembled_archive_accepted(mirror: Path, tmp_path: Path) -> None:
    (path,) = fetch("newsgroups20", tmp_path, mirror=mirror)
    assert path.name == "20news-bydate.reassembled.tar.gz"
    record = json.loads((tmp_path / "newsgroups20.provenance.json").read_text())
    assert record["20news-bydate.tar.gz"]["file"] == path.name
    assert record["20news-bydate.tar.gz"]["sha256"] == (
        "2894b0dfd969521a50087b33a50cce1d32fdf34f8d06e34da519fafc2b584161"
    )


def test_md5_checked_dataset(tmp_path: Path, monkeypatch) -> None:
    data = b"tiny dataset"
    spec = FileSpec("tiny.bin", (), hashlib.md5(data).hexdigest(), algorithm="md5")
    monkeypatch.setitem(DATASETS, "tiny", DatasetSpec("tiny", (spec,)))
    root = _fake_mirror(tmp_path, {"tiny.bin": data}, subdir="tiny")
    (path,) = fetch("tiny", tmp_path / "ok", mirror=root)
    assert path.read_bytes() == data
    (root / "tiny" / "tiny.bin").write_bytes(data + b"!")
    with pytest.raises(ChecksumError, match="md5"):
        fetch("tiny", tmp_path / "bad", mirror=root)


def test_download_path_verifies(mirror: Path, tmp_path: Path, monkeypatch) -> None:
    """Without a mirror, files come from their URL (urlopen is faked: no network)."""
    monkeypatch.delenv(acquire.MIRROR_ENV, raising=False)
    served = {}

    def fake_urlopen(url: str, timeout: float):
        served[url] = True
        name = url.rsplit("/", 1)[1]
        return io.BytesIO((mirror / "notmnist-small-10k-sample" / name).read_bytes())

    monkeypatch.setattr(acquire.urllib.request, "urlopen", fake_urlopen)
    paths = fetch("notmnist_small_sample", tmp_path)
    assert len(served) == 2 and all(p.is_file() for p in paths)

    monkeypatch.setattr(acquire.urllib.request, "urlopen",
                        lambda url, timeout: io.BytesIO(b"an error page"))
    with pytest.raises(ChecksumError):
        fetch("mnist", tmp_path / "bad")
    assert _leftovers(tmp_path / "bad") == []


def test_download_failure_is_missing_data(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(acquire.MIRROR_ENV, raising=False)

    def offline(url: str, timeout: float):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(acquire.urllib.request, "urlopen", offline)
    with pytest.raises(MissingDataError) as err:
        fetch("mnist", tmp_path)
    msg = str(err.value)
    assert MNIST_TRAIN_IMAGES in msg and "ossci-datasets" in msg and acquire.MIRROR_ENV in msg


def test_cli_bad_mirror_exits_nonzero(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != acquire.MIRROR_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "rrr.data.acquire", "mnist", str(tmp_path / "dest"),
         "--mirror", str(tmp_path / "nowhere")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "error:" in proc.stderr and MNIST_TRAIN_IMAGES in proc.stderr
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr


def test_cli_success_prints_paths(mirror: Path, tmp_path: Path, capsys) -> None:
    assert acquire.main(["notmnist_small_sample", str(tmp_path), "--mirror", str(mirror)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / f.name) for f in DATASETS["notmnist_small_sample"].files]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_acquired_files_get_the_umask_mode(tmp_path: Path, monkeypatch, umask: int, mode: int) -> None:
    """Raw data is readable by whoever the umask lets read new files (the group on a cluster), not only its owner."""
    data = b"tiny dataset"
    spec = FileSpec("tiny.bin", (), hashlib.sha256(data).hexdigest())
    monkeypatch.setitem(DATASETS, "tiny", DatasetSpec("tiny", (spec,)))
    root = _fake_mirror(tmp_path, {"tiny.bin": data}, subdir="tiny")
    old = os.umask(umask)
    try:
        (path,) = fetch("tiny", tmp_path / "dest", mirror=root)
        assert os.umask(umask) == umask  # fetch left the umask as it found it
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode
    assert (tmp_path / "dest" / "tiny.provenance.json").stat().st_mode & 0o777 == mode
