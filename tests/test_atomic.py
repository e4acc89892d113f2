"""One way to write an output: through a temporary sibling and a rename, so a failure leaves no half-written file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from rrr.atomic import atomic_path
from rrr.pipeline.jobs import save_torch, write_npz

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path):
    out = tmp_path / "table.csv"
    out.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_the_temporary_keeps_the_suffix_that_libraries_read(tmp_path: Path):
    with atomic_path(tmp_path / "sub" / "grid.npz") as tmp:
        assert tmp.suffix == ".npz" and tmp.parent.is_dir()
        np.savez(tmp, a=np.arange(3))  # numpy would append .npz to any other suffix
    assert np.load(tmp_path / "sub" / "grid.npz")["a"].tolist() == [0, 1, 2]


def test_array_and_model_files_record_the_code_that_made_them(tmp_path: Path):
    write_npz(tmp_path / "g.npz", code="c0ffee", gradients=np.zeros((2, 3)))
    assert json.loads((tmp_path / "g.npz.json").read_text()) == {"code": "c0ffee", "arrays": {"gradients": [2, 3]}}
    save_torch({"w": 1}, tmp_path / "m.pt", code="c0ffee")
    assert json.loads((tmp_path / "m.pt.json").read_text()) == {"code": "c0ffee"}


# A write call whose target is not the temporary of an atomic_path block (or a helper of rrr.pipeline.jobs).
DIRECT_WRITE = re.compile(r"(np\.savez(?:_compressed)?|torch\.save|\.to_csv|\.write_text|\.savefig|imsave)\((?!tmp\b)")


def test_scripts_write_every_output_through_the_atomic_helpers():
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(SCRIPTS.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if DIRECT_WRITE.search(line)
    ]
    assert not offenders, "write outputs with rrr.pipeline.jobs.write_* or rrr.atomic.atomic_path:\n" + "\n".join(offenders)


def _write_many(path: str, byte: str, times: int, go: object) -> None:
    go.wait()  # type: ignore[attr-defined]  # both writers start together
    for _ in range(times):
        with atomic_path(path) as tmp:
            with open(tmp, "w") as f:  # several writes, so that two writers sharing one temporary would mix
                for _ in range(64):
                    f.write(byte * 1024)


def test_two_concurrent_writers_leave_one_whole_file_and_no_temporary(tmp_path: Path):
    import multiprocessing

    out = tmp_path / "grid.csv"
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    writers = [ctx.Process(target=_write_many, args=(str(out), byte, 300, go)) for byte in "ab"]
    for w in writers:
        w.start()
    go.set()
    seen = set()
    while any(w.is_alive() for w in writers):
        if out.exists():
            text = out.read_text()
            seen.add((len(text), frozenset(text)))
    for w in writers:
        w.join()
    assert [w.exitcode for w in writers] == [0, 0]
    seen.add((len(out.read_text()), frozenset(out.read_text())))
    # every state anyone saw is one writer's whole file: never empty, never a mix, never a short one
    assert seen <= {(64 * 1024, frozenset("a")), (64 * 1024, frozenset("b"))}, sorted(seen)[:3]
    assert [p.name for p in tmp_path.iterdir()] == ["grid.csv"]


def test_the_temporary_is_unique_and_written_files_get_the_umask_mode(tmp_path: Path):
    out = tmp_path / "m.json"
    with atomic_path(out) as first, atomic_path(out) as second:
        assert first != second and first.name.startswith(".m.") and first.name.endswith(".tmp.json")
        first.write_text("1")
        second.write_text("2")
    assert out.read_text() == "1"  # the outer block renames last
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
