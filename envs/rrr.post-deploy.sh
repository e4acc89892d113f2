#!/usr/bin/env bash
# Run by snakemake once, inside the new conda environment, from the working directory (the repository root).
set -euo pipefail
python -m pip install --no-deps --no-build-isolation --editable .
