"""Train one job's Decoy-MNIST MLPs of one condition, one per seed (stacked), and record their accuracies.

Conditions (paper Fig. 9): ``plain`` — A = 0 on decoy images; ``annotated`` — full A (the
swatch) with λ1; ``baseline`` — the same MLP on plain MNIST. ``decoy_mnist_condition`` merges the jobs; the models come
out the same however the seeds are split (config ``models_per_job``): every job orders its minibatches by the
condition's first seed.
"""


from rrr.pipeline.replicates import train_replicates
from rrr.pipeline.jobs import load_npz, start_job, write_csv, write_json
from rrr.progress import log_progress
from rrr.models import save_model
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
condition = sm.wildcards.condition
d = load_npz(sm.input.data)
if condition == "baseline":
    x, mask, evaluate = d["Xr"], None, {"test": (d["Xtr"], d["yt"])}
else:
    x, evaluate = d["X"], {"test": (d["Xt"], d["yt"]), "test_raw": (d["Xtr"], d["yt"])}
    mask = d["E"] if condition == "annotated" else None
l1 = sm.params.l1 if condition == "annotated" else 0.0
model, history, metrics = train_replicates(
    x,
    d["y"],
    mask,
    seeds=sm.params.seeds,
    l1=l1,
    train=sm.params.train,
    shuffle_seed=sm.params.shuffle_seed,
    evaluate=evaluate,
    callback=progress, device=device,
)
metrics["condition"] = condition
save_model(model, sm.output.model, seeds=sm.params.seeds, l1=l1, train=dict(sm.params.train), code=sm.params.code)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
