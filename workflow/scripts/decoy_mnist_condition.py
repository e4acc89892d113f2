"""Figure 9's models of one condition, every seed: its training jobs merged into one stack (decoy_mnist_train.py)."""

import pandas as pd

from rrr import load_model, save_model
from rrr.pipeline.replicates import merge_replicates
from rrr.pipeline.jobs import read_json, start_job, write_csv, write_json

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
model, history, metrics = merge_replicates(
    [load_model(f) for f in sm.input.models],
    [pd.read_csv(f) for f in sm.input.histories],
    [read_json(f) for f in sm.input.metrics],
)
save_model(
    model, sm.output.model, seeds=metrics["seeds"], l1=metrics["l1"], train=dict(sm.params.train), code=sm.params.code
)
write_csv(history, sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
