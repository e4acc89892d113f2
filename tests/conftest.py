"""Shared fixtures: CPU-only, double precision where finite differences need it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

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
