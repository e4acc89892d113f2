#!/usr/bin/env bash
# Regenerate envs/cpu.lock: the exact CPU package set (versions and SHA-256 hashes) that .ci/run and the README install.
# Needs uv (`pip install uv`). The lock is for CPython 3.11 on x86-64 Linux, the platform CI runs on.
# torch's CPU wheel comes from a local wheel directory (RRR_TORCH_WHEELS, default /opt/wheels, where this project's
# machines keep it) or, where there is none, from the PyTorch CPU index.
set -euo pipefail
cd "$(dirname "$0")/.."
wheels="${RRR_TORCH_WHEELS:-/opt/wheels}"
if [[ -d "$wheels" ]]; then source=(--find-links "$wheels"); else source=(--extra-index-url https://download.pytorch.org/whl/cpu); fi
uv pip compile pyproject.toml envs/cpu.in --extra test --generate-hashes \
    --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    "${source[@]}" --index-strategy unsafe-best-match --no-emit-find-links --no-emit-index-url \
    --custom-compile-command "bash envs/lock.sh" -o envs/cpu.lock
