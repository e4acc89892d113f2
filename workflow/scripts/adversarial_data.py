"""One dataset of the adversarial chapter as a cached .npz (rrr.data.adversarial)."""

import sys

from rrr.data.acquire import DataError
from rrr.data.adversarial import load_adversarial_data
from rrr.pipeline.jobs import start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
try:
    data = load_adversarial_data(sm.params.source, sm.input[0], seed=sm.params.split_seed)
except DataError as error:  # a message for the user, not a traceback
    sys.exit(f"error: {error}")
write_npz(sm.output[0], code=sm.params.code, compressed=False, **data.arrays())
print(f"{data.label}: train {len(data.X)}, validation {len(data.Xv)}, test {len(data.Xt)}, pixels in {data.clip}")
