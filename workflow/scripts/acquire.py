"""Place one raw dataset in results/raw/<dataset>/, checksum-verified (mirror copy or download)."""

import sys
from pathlib import Path

from rrr.data.acquire import DataError, fetch
from rrr.experiments import log_to

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
try:
    fetch(sm.wildcards.dataset, Path(sm.output[0]), Path(sm.params.mirror) if sm.params.mirror else None)
except DataError as error:  # a message for the user, not a traceback
    sys.exit(f"error: {error}")
