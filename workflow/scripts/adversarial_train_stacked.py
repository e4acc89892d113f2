"""Train every CNN of one dataset, every seed, as stacks (config adversarial.stack; rrr.adversarial.stack).

The models are grouped by batch budget (the teacher's may be smaller) and each group trains as one stack; the
distilled students go last, as one stack, on the soft labels of their teachers as written to disk (what a per-defense
job reads). Each model keeps the initial weights and dropout stream of rrr.adversarial.defenses.model_seed, so it
equals adversarial_train's model to round-off; the files are that rule's (models and sidecars, <model>-history.csv,
<model>.json, <model>.timing.json), so no rule downstream changes. Checkpoints: <model>.pt.ckpt, train_cnn's format.
A model's seconds are its stack's (every model of a stack trains in the same steps).
"""

import json
from pathlib import Path

import pandas as pd
import torch

from rrr.adversarial.cnn import load_cnn, reference_cnn, resolve_device
from rrr.adversarial.records import keep_trained
from rrr.adversarial.defenses import batch_schedule, describe, model_seed, objective_for, soft_labels
from rrr.adversarial.stack import train_stack
from rrr.data.adversarial import AdversarialData
from rrr.pipeline.jobs import start_job, write_csv, write_json, write_text

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
p = sm.params
device = resolve_device(p.device)
data = AdversarialData.load(sm.input.data)
train = dict(p.train)
seeds = list(p.seeds)
x = torch.as_tensor(data.X[: p.n_train], device=device)
labels = torch.as_tensor(data.y[: p.n_train], device=device)
xt = torch.as_tensor(data.Xt[: p.n_clean], device=device)
xv = torch.as_tensor(data.Xv[: p.n_clean], device=device)
paths = {(m, s): path for (m, s), path in zip([(m, s) for m in p.models for s in seeds], sm.output.models)}
index = {m: i for i, m in enumerate(p.models)}
timing_device = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def train_group(models: list[str]) -> list[Path]:
    """Train ``models`` (one batch budget), every seed, as one stack, write each defense's files; the checkpoints."""
    batches = p.batches[models[0]]
    epochs, n_batches = batch_schedule(len(x), batches, train["batch_size"])
    members = [(m, s) for m in models for s in seeds]
    objectives, ys, inits, cnns = [], [], [], []
    for m, s in members:
        defense, lam = m.split("@")[0], p.lam[m]
        objectives.append(objective_for(defense, lam=lam, temperature=p.temperature, advtrain_eps=p.advtrain_eps,
                                        clip=data.clip))
        # a student learns its teacher's soft labels at the same temperature, from the teacher's file
        ys.append(soft_labels(load_cnn(paths[("teacher", s)], device), x, p.temperature) if defense == "distilled"
                  else labels)
        inits.append(model_seed(s, defense, lam))
        cnns.append(reference_cnn(data.side, lcn=data.source == "svhn", seed=inits[-1]).to(device))
    print(f"stack of {len(members)} ({', '.join(models)}; seeds {seeds}) on {data.label}: {epochs} epochs = "
          f"{n_batches} batches of {train['batch_size']}, {device}", flush=True)
    checkpoints = [Path(f"{paths[ms]}.ckpt") for ms in members]
    logs = train_stack(cnns, x, ys, objectives, seeds=inits, batches=batches, batch_size=train["batch_size"],
                       lr=train["lr"], adam_eps=train["adam_eps"], log_every=train["log_every"],
                       on_log=lambda i, row: print(members[i], row, flush=True), checkpoints=checkpoints,
                       checkpoint_every=sm.config["adversarial"]["train"]["checkpoint_every"])
    for m in models:
        defense, lam = m.split("@")[0], p.lam[m]
        metrics = {"dataset": data.label, "defense": defense, "lambda": lam, "objective": describe(objectives[
            members.index((m, seeds[0]))]), "seeds": seeds, "model_seeds": [model_seed(s, defense, lam) for s in seeds],
            "epochs": epochs, "batches": n_batches, "n_train": len(x), "n_clean": len(xt), "device": device.type}
        per_seed: dict = {"clean_accuracy": [], "validation_accuracy": []}
        timings: dict = {"device": timing_device, "train_seconds": [], "seconds_per_batch": [],
                         "stacked_with": [f"{a}-s{b}" for a, b in members]}
        histories = []
        for s in seeds:
            i = members.index((m, s))
            model, seconds = cnns[i], logs[i][-1]["seconds"]
            histories.append(pd.DataFrame(logs[i]).assign(seed=s))
            keep_trained(model, paths[(m, s)], seconds=seconds, n_batches=n_batches, per_seed=per_seed,
                         timings=timings, metrics=metrics, test=(xt, data.yt[: len(xt)]),
                         validation=(xv, data.yv[: len(xv)]), seed=s, model_seed=inits[i], code=sm.params.code)
        write_csv(pd.concat(histories), sm.output.history[index[m]], index=False)
        write_json(metrics | per_seed, sm.output.metrics[index[m]])
        write_text(json.dumps(timings, indent=2), sm.output.timings[index[m]])
    return checkpoints


checkpoints = []  # kept until every stack is written: a rerun after a kill skips the finished stacks
first = [m for m in p.models if m != "distilled"]
for budget in dict.fromkeys(p.batches[m] for m in first):  # one stack per batch budget, in the models' order
    checkpoints += train_group([m for m in first if p.batches[m] == budget])
if "distilled" in p.models:  # after its teachers, whose files it reads
    checkpoints += train_group(["distilled"])
for checkpoint in checkpoints:  # every model is written: the checkpoints have done their job
    checkpoint.unlink(missing_ok=True)
