"""Attack every model of one dataset, seed by seed (reference §5.7–5.8).

* Transfer matrices: every model's accuracy (true labels) on the FGSM and TGSM (target y+1) examples
  made from every model's gradients, for every ε, on the first n_attack test images; also which
  examples came back unperturbed (a vanishing gradient: distillation's gradient masking).
* Statistics (seed `statistics_seed`, Figures 19 and 22): per test image ‖∇_x CE(y)‖ (the FGSM
  gradient) and ‖∇_x CE(y+1)‖ (the TGSM one), all predicted log-probabilities, and ∇_x Σ_k log p̂ on
  one test image of each class 0–5 (the second occurrence for SVHN, as the reference does).
* Metrics (rrr.adversarial.metrics): per-seed lists of clean accuracy, training time and every transfer
  entry, and per attacked image (concatenated over seeds) the arrays the thesis's statements compare
  (correctness on given examples, unperturbed examples, log-probability of the non-predicted classes);
  the claims read them. The transfer matrices also as a long CSV (mean, sd and each seed).
"""

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from rrr import input_gradients
from rrr.adversarial.metrics import evaluation_metrics, statement_arrays, statement_epsilons
from rrr.adversarial.attacks import transfer_accuracies
from rrr.adversarial.cnn import load_cnns, resolve_device
from rrr.data.adversarial import AdversarialData, first_of_each_class
from rrr.adversarial.defenses import predict_logits
from rrr.pipeline.jobs import read_json, start_job, write_csv, write_json, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
p, ev = sm.params, sm.params.evaluation
device = resolve_device(p.device)
data = AdversarialData.load(sm.input.data)
x, y = data.Xt[: ev["n_attack"]], data.yt[: ev["n_attack"]]
paths = dict(zip([(m, s) for m in p.models for s in p.seeds], sm.input.models))
missing = [e for e in statement_epsilons() if not any(abs(e - float(v)) < 1e-9 for v in ev["epsilons"])]
if missing:  # fail before the attacks, not in the claims rule
    raise ValueError(f"adversarial.evaluation.epsilons {ev['epsilons']} must hold {missing} (the thesis statements)")

transfer: dict = {}
statements = []
xs, ys = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
for seed in p.seeds:
    models = load_cnns(p.models, [paths[m, seed] for m in p.models], device)
    for attack in ("fgsm", "tgsm"):
        acc, correct, unperturbed = transfer_accuracies(models, x, y, ev["epsilons"], data.clip,
                                                        targeted=attack == "tgsm")
        for key, value in (("accuracy", acc), ("correct", correct), ("unperturbed", unperturbed)):
            transfer.setdefault(f"{attack}_{key}", []).append(value)
    logits = {name: predict_logits(model, xs).double() for name, model in models.items()}
    statements.append(statement_arrays(
        {a: transfer[f"{a}_correct"][-1] for a in ("fgsm", "tgsm")},
        {a: transfer[f"{a}_unperturbed"][-1] for a in ("fgsm", "tgsm")},
        np.stack([(logits[m].argmax(-1) == ys).cpu().numpy() for m in p.models]),
        {name: F.log_softmax(v, -1).cpu().numpy() for name, v in logits.items()},
        p.models, ev["epsilons"]))
    if seed == p.statistics_seed:
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
        write_npz(sm.output.statistics, code=sm.params.code, **stats)
transfer = {k: np.stack(v) for k, v in transfer.items()}  # leading axis: seed
write_npz(sm.output.transfer, code=sm.params.code, models=np.asarray(p.models), seeds=np.asarray(p.seeds),
                    epsilons=np.asarray(ev["epsilons"]), labels=y, **transfer)

metrics, rows = evaluation_metrics(
    dataset=data.label, models=p.models, seeds=p.seeds, epsilons=ev["epsilons"], n_attack=len(y),
    train={name: read_json(path) for name, path in zip(p.models, sm.input.train)},
    accuracy={a: transfer[f"{a}_accuracy"] for a in ("fgsm", "tgsm")},
    unperturbed={a: transfer[f"{a}_unperturbed"] for a in ("fgsm", "tgsm")}, statements=statements)
write_json(metrics, sm.output.metrics)
write_csv(pd.DataFrame(rows), sm.output.table, index=False)
