"""Provenance of a run's verdicts: the code, config, software and machine behind ``claims.csv``.

``results/<profile>/provenance.json`` (rule ``provenance``) records, when the claims were last written:
the git commit and whether the tree had uncommitted changes, a hash of the config and the config files
used, every rule's code hash (what its script and the library modules it imports do), the versions of
Python and the packages that compute the numbers, the machine and the UTC time.
Compare two runs with::

    python -m rrr.pipeline.provenance diff A.json B.json      # or a claims.csv: reads provenance.json beside it

which prints "same code, config and software" (exit 0) or what differs (exit 1).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "torch",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "lime",
    "captum",
    "adversarial-robustness-toolbox",
    "snakemake",
    "matplotlib",
)
# Run outputs, not code: changes there do not make the tree dirty.
IGNORED = ("results", ".snakemake")
SAME = "same code, config and software"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config_hash(config: Mapping) -> str:
    """sha256 of the config as JSON with sorted keys: independent of key order, changes with any value."""
    return sha256_bytes(json.dumps(config, sort_keys=True, default=str).encode())


def _git(repo: Path, *args: str) -> bytes:
    # --no-optional-locks: reading the state must not take the index lock from a concurrent git command.
    command = ["git", "--no-optional-locks", *args]
    return subprocess.run(command, cwd=repo, capture_output=True, check=True, timeout=60).stdout


def git_state(repo: Path) -> dict:
    """The commit (``git rev-parse HEAD``), whether the tree has uncommitted changes outside results/ and
    .snakemake/ (``git status --porcelain``), the changed paths and a sha256 of the changes themselves (the
    diff against HEAD and the untracked files), so two dirty trees at one commit can be told apart.
    Outside a git checkout (or without git) the commit is None and ``reason`` says why."""
    repo = Path(repo)
    excluded = [f":(exclude){name}" for name in IGNORED]
    try:
        commit = _git(repo, "rev-parse", "HEAD").decode().strip()
        top = Path(_git(repo, "rev-parse", "--show-toplevel").decode().strip())
        status = _git(repo, "status", "--porcelain", "--untracked-files=all", "--", ".", *excluded).decode()
        diff = _git(repo, "diff", "HEAD", "--binary", "--", ".", *excluded)
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        reason = detail.decode(errors="replace").strip() or str(error)
        return {"commit": None, "dirty": None, "changes": None, "changes_sha256": None, "reason": reason}
    changes = [line for line in status.splitlines() if line.strip()]
    digest = hashlib.sha256(diff)
    for line in changes:
        if line.startswith("??"):  # untracked: its content is not in the diff
            name = line[3:].strip('"')  # porcelain paths are relative to the top of the checkout
            digest.update(name.encode())
            digest.update((top / name).read_bytes() if (top / name).is_file() else b"")
    return {
        "commit": commit,
        "dirty": bool(changes),
        "changes": changes,
        "changes_sha256": digest.hexdigest() if changes else None,
        "reason": None,
    }


def versions() -> dict:
    """Python's and each package's installed version (None where not installed)."""
    found: dict = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.split(":")[0].strip() in ("model name", "Hardware", "cpu model"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def machine() -> dict:
    """Platform, CPU model, logical cores, CUDA devices and torch's thread count."""
    import torch

    cuda = torch.cuda.is_available()
    return {
        "platform": platform.platform(),
        "architecture": platform.machine(),
        "processor": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "cuda_available": cuda,
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
        "torch_threads": torch.get_num_threads(),
    }


def collect(config: Mapping, configfiles: Sequence[str], repo: Path, code: Mapping[str, str] | None = None) -> dict:
    """Everything ``compare`` checks, plus the UTC time: git state of ``repo``, config hash and config files
    (paths as given, each with its sha256; a relative path is read from the current directory, as Snakemake
    did, or else from ``repo``), each rule's code hash (``code``: rule → :func:`rrr.pipeline.fingerprint.code_fingerprint`),
    package versions and the machine."""
    files = []
    for name in configfiles:
        path = Path(name) if Path(name).exists() else Path(repo) / name
        files.append({"path": str(name), "sha256": sha256_bytes(path.read_bytes()) if path.is_file() else None})
    return {
        "git": git_state(Path(repo)),
        "config": {"sha256": config_hash(config), "files": files},
        "code": dict(sorted((code or {}).items())),
        "versions": versions(),
        "machine": machine(),
        "time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _short(value: object) -> str:
    return value[:12] if isinstance(value, str) and len(value) == 64 else str(value)


def compare(a: dict, b: dict) -> list[str]:
    """What differs between two provenance records in the code, config, software or machine: one line each
    (A's value first). Empty when they ran the same code with the same config and versions on like machines;
    the time is ignored."""
    lines = []
    ga, gb = a.get("git") or {}, b.get("git") or {}
    if ga.get("commit") != gb.get("commit"):
        lines.append(f"git commit: {ga.get('commit')} vs {gb.get('commit')}")
    if ga.get("dirty") != gb.get("dirty"):
        lines.append(f"uncommitted changes: {ga.get('dirty')} vs {gb.get('dirty')}")
    elif ga.get("dirty") and ga.get("changes_sha256") != gb.get("changes_sha256"):
        lines.append(
            f"uncommitted changes differ: {_short(ga.get('changes_sha256'))} vs {_short(gb.get('changes_sha256'))}"
        )
    ca, cb = a.get("config") or {}, b.get("config") or {}
    if ca.get("sha256") != cb.get("sha256"):
        lines.append(f"config hash: {_short(ca.get('sha256'))} vs {_short(cb.get('sha256'))}")
        files_a = [(f["path"], _short(f["sha256"])) for f in ca.get("files", [])]
        files_b = [(f["path"], _short(f["sha256"])) for f in cb.get("files", [])]
        if files_a != files_b:
            lines.append(f"config files: {files_a} vs {files_b}")
    for section in ("code", "versions", "machine"):
        va, vb = a.get(section) or {}, b.get(section) or {}
        for key in sorted(set(va) | set(vb)):
            if va.get(key) != vb.get(key):
                lines.append(f"{section} {key}: {va.get(key)} vs {vb.get(key)}")
    return lines


def _load(path: str) -> dict:
    """A provenance record: a JSON file, or the provenance.json beside a claims.csv (or in a folder)."""
    p = Path(path)
    if p.is_dir():
        p = p / "provenance.json"
    elif p.suffix != ".json":
        p = p.parent / "provenance.json"
    if not p.is_file():
        raise FileNotFoundError(f"no provenance record at {p} (run the workflow's `provenance` rule)")
    return json.loads(p.read_text())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rrr.pipeline.provenance", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    diff = commands.add_parser("diff", help="compare two runs (provenance.json or claims.csv paths)")
    diff.add_argument("a")
    diff.add_argument("b")
    args = parser.parse_args(argv)
    try:
        lines = compare(_load(args.a), _load(args.b))
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    print("\n".join(lines) if lines else SAME)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
