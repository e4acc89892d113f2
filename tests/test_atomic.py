"""One way to write an output: through a temporary sibling and a rename, so a failure leaves no half-written file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import rrr
from rrr.atomic import CorruptFileError, atomic_path, file_sha256
from rrr.models import load_tensors, save_tensors
from rrr.pipeline.jobs import load_npz, save_torch, write_npz

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
    sha = file_sha256(tmp_path / "g.npz")
    assert json.loads((tmp_path / "g.npz.json").read_text()) == {
        "code": "c0ffee", "arrays": {"gradients": [2, 3]}, "sha256": sha
    }
    save_torch({"w": 1}, tmp_path / "m.pt", code="c0ffee")
    assert json.loads((tmp_path / "m.pt.json").read_text()) == {"code": "c0ffee", "sha256": file_sha256(tmp_path / "m.pt")}


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


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_a_saved_model_or_array_is_caught_on_load(tmp_path: Path):
    model = tmp_path / "model.pt"
    rrr.save_model(rrr.mlp(4, 2, hidden=(3,), seed=0), model, code="c0ffee")
    rrr.load_model(model)  # intact: loads
    _flip_one_byte(model)
    with pytest.raises(CorruptFileError, match=r"model\.pt does not match its sidecar .*expected sha256 [0-9a-f]{64}, got "
                       r"[0-9a-f]{64}.*delete .*model\.pt and rerun the rule that makes it"):
        rrr.load_model(model)
    arrays = tmp_path / "g.npz"
    write_npz(arrays, code="c0ffee", compressed=False, gradients=np.arange(64.0))
    assert load_npz(arrays)["gradients"].tolist() == list(range(64))
    _flip_one_byte(arrays)
    with pytest.raises(CorruptFileError, match=r"g\.npz does not match"):
        load_npz(arrays)


def test_a_sidecar_without_a_checksum_still_loads_and_a_file_without_a_sidecar_too(tmp_path: Path):
    path = tmp_path / "t.pt"
    save_tensors(path, {"w": torch.ones(2)}, note="old")
    meta = json.loads((tmp_path / "t.pt.json").read_text())
    del meta["sha256"]  # a results tree from before checksums were recorded
    (tmp_path / "t.pt.json").write_text(json.dumps(meta))
    assert load_tensors(path)[1] == {"note": "old"}
    np.savez(tmp_path / "raw.npz", x=np.zeros(2))
    assert load_npz(tmp_path / "raw.npz")["x"].tolist() == [0.0, 0.0]


def test_a_save_killed_between_the_model_and_its_sidecar_is_caught_on_load(tmp_path: Path, monkeypatch):
    """The model is written first: a job killed before its sidecar leaves a new model beside the old sidecar, whose
    checksum no longer matches (never a new sidecar describing an old or missing model)."""
    path = tmp_path / "model.pt"
    rrr.save_model(rrr.mlp(4, 2, hidden=(3,), seed=0), path, seed=0)
    first_model = path.read_bytes()
    renames = []
    real_replace = os.replace

    def killed_at_the_second_rename(src, dst):
        renames.append(Path(dst).name)
        if len(renames) == 2:
            raise KeyboardInterrupt("killed")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", killed_at_the_second_rename)
    with pytest.raises(KeyboardInterrupt):
        rrr.save_model(rrr.mlp(4, 2, hidden=(3,), seed=1), path, seed=1)
    monkeypatch.undo()
    assert renames == ["model.pt", "model.pt.json"]
    assert path.read_bytes() != first_model  # the new model is in place, its sidecar not
    with pytest.raises(CorruptFileError, match="does not match its sidecar"):
        rrr.load_model(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "model.pt.json"]
