"""Train the CNNs of one defense on one dataset, one per seed, and score them on clean test images."""

import time

import pandas as pd
import torch

from rrr.cnn import load_cnn, reference_cnn, resolve_device, save_cnn
from rrr.data.adversarial import AdversarialData
from rrr.defenses import accuracy, batch_schedule, describe, objective_for, soft_labels, train_cnn
from rrr.experiments import log_to, set_threads, write_json

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
set_threads(sm.threads)
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
                 "seeds": list(p.seeds), "epochs": epochs, "batches": n_batches, "n_train": len(x),
                 "n_clean": len(xt), "device": str(device)}
per_seed: dict = {"train_seconds": [], "seconds_per_batch": [], "clean_accuracy": [], "validation_accuracy": []}
histories = []
for seed, path in zip(p.seeds, sm.output.models):
    y = labels
    if p.defense == "distilled":  # the student learns its teacher's soft labels at the same temperature
        y = soft_labels(load_cnn(sm.input.teacher[p.seeds.index(seed)], device), x, p.temperature)
    model = reference_cnn(data.side, lcn=data.source == "svhn", seed=seed).to(device)
    print(f"{p.defense} (λ={p.lam}) seed {seed} on {data.label}: {epochs} epochs = {n_batches} batches of "
          f"{train['batch_size']}, {device}", flush=True)
    start = time.perf_counter()
    history = train_cnn(model, x, y, objective, batches=p.batches, batch_size=train["batch_size"], lr=train["lr"],
                        adam_eps=train["adam_eps"], seed=seed, log_every=train["log_every"],
                        on_log=lambda row: print(row, flush=True))
    seconds = time.perf_counter() - start
    histories.append(pd.DataFrame(history).assign(seed=seed))
    scores = {"train_seconds": seconds, "seconds_per_batch": seconds / n_batches,
              "clean_accuracy": accuracy(model, xt, data.yt[: len(xt)]),
              "validation_accuracy": accuracy(model, xv, data.yv[: len(xv)])}
    for key, value in scores.items():
        per_seed[key].append(value)
    save_cnn(model, path, **{k: v for k, v in metrics.items() if k != "seeds"}, seed=seed, **scores)
pd.concat(histories).to_csv(sm.output.history, index=False)
write_json(metrics | per_seed, sm.output.metrics)
