"""Attack every model of one dataset, seed by seed (reference §5.7–5.8).

* Transfer matrices: every model's accuracy (true labels) on the FGSM and TGSM (target y+1) examples
  made from every model's gradients, for every ε, on the first n_attack test images; also which
  examples came back unperturbed (a vanishing gradient: distillation's gradient masking).
* Statistics (seed `statistics_seed`, Figures 19 and 22): per test image ‖∇_x CE(y)‖ (the FGSM
  gradient) and ‖∇_x CE(y+1)‖ (the TGSM one), all predicted log-probabilities, and ∇_x Σ_k log p̂ on
  one test image of each class 0–5 (the second occurrence for SVHN, as the reference does).
* Metrics: per-seed lists of clean accuracy, training time and every transfer entry (the claims read
  them), and the transfer matrices as a long CSV (mean, sd and each seed).
"""

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from rrr import input_gradients
from rrr.attacks import transfer_accuracies
from rrr.cnn import load_cnns, resolve_device
from rrr.data.adversarial import AdversarialData, first_of_each_class
from rrr.defenses import predict_logits
from rrr.experiments import log_to, read_json, set_threads, write_json

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
set_threads(sm.threads)
p, ev = sm.params, sm.params.evaluation
device = resolve_device(p.device)
data = AdversarialData.load(sm.input.data)
x, y = data.Xt[: ev["n_attack"]], data.yt[: ev["n_attack"]]
paths = dict(zip([(m, s) for m in p.models for s in p.seeds], sm.input.models))

transfer: dict = {}
for seed in p.seeds:
    models = load_cnns(p.models, [paths[m, seed] for m in p.models], device)
    for attack in ("fgsm", "tgsm"):
        acc, correct, unperturbed = transfer_accuracies(models, x, y, ev["epsilons"], data.clip,
                                                        targeted=attack == "tgsm")
        for key, value in (("accuracy", acc), ("correct", correct), ("unperturbed", unperturbed)):
            transfer.setdefault(f"{attack}_{key}", []).append(value)
    if seed == p.statistics_seed:
        xs, ys = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
        rows = first_of_each_class(data.yt, p.occurrence + 1)[p.occurrence :: p.occurrence + 1][:6]
        shown = torch.as_tensor(data.Xt[rows], device=device)
        stats = {"models": np.asarray(p.models), "images": data.Xt[rows], "labels": data.yt[rows],
                 "side": data.side, "clip": np.asarray(data.clip)}
        for name, model in models.items():  # norms in float64: squares of float32 gradients ~1e-30 underflow
            for attack, target in (("fgsm", ys), ("tgsm", (ys + 1) % 10)):
                gradient = input_gradients(model, xs, "loss", y=target).flatten(1).double()
                stats[f"{name}_{attack}_norm"] = gradient.norm(dim=1).cpu().numpy()
            stats[f"{name}_log_probs"] = F.log_softmax(predict_logits(model, xs).double(), -1).cpu().numpy()
            stats[f"{name}_explanations"] = input_gradients(model, shown, "sum_log_prob").cpu().numpy()
        np.savez_compressed(sm.output.statistics, **stats)
transfer = {k: np.stack(v) for k, v in transfer.items()}  # leading axis: seed
np.savez_compressed(sm.output.transfer, models=np.asarray(p.models), seeds=np.asarray(p.seeds),
                    epsilons=np.asarray(ev["epsilons"]), labels=y, **transfer)

metrics: dict = {"dataset": data.label, "seeds": list(p.seeds), "models": list(p.models),
                 "epsilons": list(ev["epsilons"]), "n_attack": len(y)}
for name, path in zip(p.models, sm.input.train):
    train = read_json(path)
    for key in ("clean_accuracy", "train_seconds", "seconds_per_batch"):
        metrics[f"{key}_{name}"] = train[key]
    metrics[f"batches_{name}"] = train["batches"]
rows = []
for attack in ("fgsm", "tgsm"):
    acc, unperturbed = transfer[f"{attack}_accuracy"], transfer[f"{attack}_unperturbed"].mean(-1)
    for e, eps in enumerate(ev["epsilons"]):
        for j, source in enumerate(p.models):
            metrics[f"{attack}_eps{eps:g}_unperturbed_{source}"] = unperturbed[:, j, e].tolist()
            for i, evaluated in enumerate(p.models):
                values = acc[:, i, j, e]
                metrics[f"{attack}_eps{eps:g}_{evaluated}_vs_{source}"] = values.tolist()
                rows.append({"attack": attack, "evaluated": evaluated, "source": source, "eps": eps,
                             "mean": values.mean(), "sd": values.std(ddof=1) if len(values) > 1 else 0.0,
                             **{f"seed{s}": v for s, v in zip(p.seeds, values)}})
write_json(metrics, sm.output.metrics)
pd.DataFrame(rows).to_csv(sm.output.table, index=False)
