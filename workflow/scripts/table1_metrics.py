"""One dataset's Table 1 numbers as per-run lists, the form claims read (seconds; the claims take log10)."""

import math

from rrr.pipeline.jobs import read_json, start_job, write_json

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
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
