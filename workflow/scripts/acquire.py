"""Place one raw dataset in results/raw/<dataset>/, checksum-verified (mirror copy or download)."""

import sys
from pathlib import Path

from rrr.data.acquire import DataError, fetch

sm = snakemake  # noqa: F821 (injected by Snakemake)
try:
    fetch(sm.wildcards.dataset, Path(sm.output[0]), Path(sm.params.mirror) if sm.params.mirror else None)
except DataError as error:  # a message for the user, not a traceback
    sys.exit(f"error: {error}")
