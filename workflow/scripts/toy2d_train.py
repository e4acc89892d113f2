"""Train the 50-30 MLP on a 2D toy dataset (64 epochs, batch 256, raw inputs), one model per seed, stacked."""


from rrr.pipeline.replicates import train_replicates
from rrr.pipeline.jobs import load_npz, start_job, write_csv, write_json
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
d = load_npz(sm.input[0])
model, history, metrics = train_replicates(
    d["X"], d["y"], None, seeds=sm.params.seeds, l1=0.0, train=sm.params.train, callback=progress, device=device
)
metrics["dataset"] = sm.wildcards.dataset
save_model(model, sm.output.model, seeds=sm.params.seeds, train=dict(sm.params.train), code=sm.params.code)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
