"""Train the CNNs of one defense on one dataset, one per seed, and score them on clean test images.

Each model is an independent run: its initial weights and dropout stream come from
rrr.adversarial.defenses.model_seed(seed, defense, λ). Training checkpoints every `checkpoint_every` batches to
`<model>.pt.ckpt` beside the model (not an output, so Snakemake keeps it when it reruns a job a wall-time
limit killed) and resumes from there; the checkpoints go once every model of the job is written. Seconds
(and the GPU's name) go to <model>.timing.json beside the metrics, not into them: they depend on the machine
and differ run to run, the metrics do not.
"""

import json
from pathlib import Path

import pandas as pd
import torch

from rrr.adversarial.cnn import load_cnn, reference_cnn, resolve_device
from rrr.adversarial.records import keep_trained
from rrr.data.adversarial import AdversarialData
from rrr.adversarial.defenses import (
    batch_schedule,
    describe,
    model_seed,
    objective_for,
    soft_labels,
    train_cnn,
)
from rrr.pipeline.jobs import start_job, write_csv, write_json, write_text
from rrr.progress import log_progress

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
p = sm.params
device = resolve_device(p.device)
data = AdversarialData.load(sm.input.data)
train = dict(p.train)
objective = objective_for(p.defense, lam=p.lam, temperature=p.temperature, advtrain_eps=p.advtrain_eps, clip=data.clip)
x = torch.as_tensor(data.X[: p.n_train], device=device)
labels = torch.as_tensor(data.y[: p.n_train], device=device)
xt = torch.as_tensor(data.Xt[: p.n_clean], device=device)
xv = torch.as_tensor(data.Xv[: p.n_clean], device=device)
epochs, n_batches = batch_schedule(len(x), p.batches, train["batch_size"])
metrics: dict = {"dataset": data.label, "defense": p.defense, "lambda": p.lam, "objective": describe(objective),
                 "seeds": list(p.seeds), "model_seeds": [model_seed(s, p.defense, p.lam) for s in p.seeds],
                 "epochs": epochs, "batches": n_batches, "n_train": len(x), "n_clean": len(xt), "device": device.type}
per_seed: dict = {"clean_accuracy": [], "validation_accuracy": []}
timings: dict = {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                 "train_seconds": [], "seconds_per_batch": []}
histories, checkpoints = [], []
model_paths = [getattr(sm.output, f"model{i}") for i in range(len(p.seeds))]  # named one by one: cacheable
for seed, path in zip(p.seeds, model_paths, strict=True):
    y = labels
    if p.defense == "distilled":  # the student learns its teacher's soft labels at the same temperature
        y = soft_labels(load_cnn(sm.input.teacher[p.seeds.index(seed)], device), x, p.temperature)
    init = model_seed(seed, p.defense, p.lam)  # the student too starts from its own weights ("from scratch")
    model = reference_cnn(data.side, lcn=data.source == "svhn", seed=init).to(device)
    print(f"{p.defense} (λ={p.lam}) seed {seed} (model seed {init}) on {data.label}: {epochs} epochs = {n_batches} "
          f"batches of {train['batch_size']}, {device}", flush=True)
    checkpoint = Path(f"{path}.ckpt")
    checkpoints.append(checkpoint)
    history = train_cnn(model, x, y, objective, batches=p.batches, batch_size=train["batch_size"], lr=train["lr"],
                        adam_eps=train["adam_eps"], seed=init, log_every=train["log_every"],
                        on_log=lambda row: print(row, flush=True), checkpoint=checkpoint,
                        checkpoint_every=sm.config["adversarial"]["train"]["checkpoint_every"], callback=progress)
    seconds = history[-1]["seconds"]  # the last batch's row: time before a resume included
    histories.append(pd.DataFrame(history).assign(seed=seed))
    keep_trained(model, path, seconds=seconds, n_batches=n_batches, per_seed=per_seed, timings=timings,
                 metrics=metrics, test=(xt, data.yt[: len(xt)]), validation=(xv, data.yv[: len(xv)]), seed=seed,
                 model_seed=init, code=sm.params.code)
write_csv(pd.concat(histories), sm.output.history, index=False)
write_json(metrics | per_seed, sm.output.metrics)
write_text(json.dumps(timings, indent=2), sm.output.timings)  # as is (write_json would split the seconds off again)
for checkpoint in checkpoints:  # every model is written: the checkpoints have done their job
    checkpoint.unlink(missing_ok=True)
