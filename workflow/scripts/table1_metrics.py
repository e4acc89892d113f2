"""One dataset's Table 1 numbers as per-run lists, the form claims read (seconds; the claims take log10)."""

import math

from rrr.jobs import log_to, read_json, write_json

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
t = read_json(sm.input[0])
lime, grad = t["lime_seconds_per_explanation"], t["gradient_seconds_per_explanation"]
write_json(
    {
        "lime_seconds": [lime],
        "gradient_seconds": [grad],
        "log10_speedup": [math.log10(lime / grad)],
    },
    sm.output[0],
)
