"""One dataset's Table 1 numbers as per-repeat lists, the form claims read (seconds; the claims take log10): the
spread of the repeats is the cell's error estimate."""

import math

from rrr.pipeline.jobs import read_json, start_job, write_json

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
t = read_json(sm.input[0])
lime, grad = t["lime_seconds_repeats"], t["gradient_seconds_repeats"]
write_json(
    {
        "lime_seconds": lime,
        "gradient_seconds": grad,
        "log10_speedup": [math.log10(a / b) for a, b in zip(lime, grad, strict=True)],
    },
    sm.output[0],
)
