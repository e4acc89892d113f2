"""Appendix A: train one job's part of the λ1 cross-validation sweep (every (λ1, seed) model in it, as a stack).

The first ``n_validation`` training images are held out and the rest train with the full swatch mask A, as in the
reference's bin/mnist_cross_validation.py. ``decoy_mnist_crossval`` merges the jobs; the sweep's models come out the
same however it is split (config ``models_per_job``).
"""


from rrr import save_model
from rrr.pipeline.replicates import train_replicates
from rrr.pipeline.jobs import load_npz, start_job, write_csv, write_json
from rrr.progress import log_progress
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
p = sm.params
d = load_npz(sm.input.data)
v = p.n_validation
model, history, metrics = train_replicates(
    d["X"][v:],
    d["y"][v:],
    d["E"][v:],
    seeds=p.seeds,
    l1=p.l1,
    train=p.train,
    shuffle_seed=p.shuffle_seed,
    evaluate={"validation": (d["X"][:v], d["y"][:v]), "test": (d["Xt"], d["yt"])},
    callback=progress, device=device,
)
save_model(model, sm.output.model, seeds=p.seeds, l1=p.l1, train=dict(p.train), n_validation=v, code=sm.params.code)
write_csv(history.to_frame(), sm.output.history, index=False)
write_json(metrics, sm.output.metrics)
