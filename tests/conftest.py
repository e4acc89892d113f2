"""Shared fixtures: CPU-only, double precision where finite differences need it."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

import golden  # tests/ is on sys.path, as for the tests that import it

# The golden numbers (tests/golden.py) come from PyTorch's AVX2 kernels. On a CPU with AVX-512, ATen (elementwise
# and reduction kernels) and oneDNN (the CNNs' convolutions) pick other kernels, whose round-off moves the smoke
# profile's find-another-explanation chains (masks are the largest gradients) and its CNNs. So every test, and every
# snakemake job a test starts, runs the AVX2 kernels: the golden file then holds on any x86-64 CPU with AVX2. Set
# before torch is imported (both are read once).
if platform.machine() in ("x86_64", "AMD64"):
    os.environ.update(golden.AVX2_KERNELS)

import pytest  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _few_threads() -> None:
    torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The local data mirror (``RRR_DATA_MIRROR`` or ``../shared/data`` beside the repo)."""
    path = Path(os.environ.get("RRR_DATA_MIRROR", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"no data mirror at {path}")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the workflow, config, profiles and envs: snakemake runs there, never in the checkout."""
    for part in ("workflow", "config", "profiles", "envs"):
        shutil.copytree(REPO / part, tmp_path / part)
    return tmp_path
