"""Train the 20 Newsgroups MLP with A = 0, one per seed (stacked), and record its accuracies."""


from rrr.pipeline.replicates import train_replicates
from rrr.pipeline.jobs import load_npz, read_json, start_job, write_csv, write_json
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
d = load_npz(sm.input.data)
model, history, metrics = train_replicates(
    d["X"], d["y"], None, seeds=sm.params.seeds, l1=0.0, train=sm.params.train,
    evaluate={"test": (d["Xt"], d["yt"])}, callback=progress, device=device,
)
text = read_json(sm.input.text)
metrics.update(
    condition="plain",
    n_train=len(d["y"]),
    n_test=len(d["yt"]),
    n_train_available=text["n_train_available"],
    n_test_available=text["n_test_available"],
)
save_model(model, sm.output.model, seeds=sm.params.seeds, l1=0.0, train=dict(sm.params.train), code=sm.params.code)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
