"""The thesis's λ selection (App. G): among the grid models, the λ with the highest validation
accuracy on black-box FGSM examples (made from the normal model) whose clean validation accuracy
is at least `min_relative_accuracy` × the normal model's."""

import pandas as pd
import torch

from rrr.adversarial.attacks import fgsm
from rrr.adversarial.cnn import load_cnn, load_cnns, resolve_device
from rrr.data.adversarial import AdversarialData
from rrr.adversarial.defenses import accuracy
from rrr.pipeline.jobs import start_job, write_csv

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
device = resolve_device(sm.params.device)
data = AdversarialData.load(sm.input.data)
normal = load_cnn(sm.input.normal, device)
xv = torch.as_tensor(data.Xv, device=device)
x_adv = torch.as_tensor(fgsm(normal, data.Xv, data.yv, sm.params.eps, data.clip), device=device)
reference = accuracy(normal, xv, data.yv)
rows = []
for name, model in load_cnns(sm.params.models, sm.input.models, device).items():
    kind, lam = name.split("@")
    rows.append({"penalty": kind, "lambda": float(lam), "clean_validation_accuracy": accuracy(model, xv, data.yv),
                 f"blackbox_fgsm{sm.params.eps:g}_validation_accuracy": accuracy(model, x_adv, data.yv)})
table = pd.DataFrame(rows)
score = table.columns[-1]
table["eligible"] = table["clean_validation_accuracy"] >= sm.params.min_relative_accuracy * reference
table["selected"] = False
for _, group in table[table["eligible"]].groupby("penalty"):
    table.loc[group[score].idxmax(), "selected"] = True
write_csv(table, sm.output[0], index=False)
