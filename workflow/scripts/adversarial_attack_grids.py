"""Iterated TGSM (and JSMA where configured) grids of one dataset: the first test image of each
class pushed towards every target class, for each grid model (reference §5.7)."""

import numpy as np
import torch

from rrr.adversarial.attacks import iterated_tgsm, jsma
from rrr.adversarial.cnn import load_cnns, resolve_device
from rrr.data.adversarial import AdversarialData, first_of_each_class
from rrr.adversarial.defenses import predict_logits
from rrr.pipeline.jobs import start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
ev = sm.params.evaluation
device = resolve_device(sm.params.device)
data = AdversarialData.load(sm.input.data)
models = load_cnns(sm.params.models, sm.input.models, device)
rows = first_of_each_class(data.yt)
x = np.repeat(data.Xt[rows], 10, axis=0)  # row-major: original class, then target
targets = np.tile(np.arange(10), len(rows))
out = {"models": np.asarray(sm.params.models), "originals": data.Xt[rows], "labels": data.yt[rows],
       "side": data.side, "clip": np.asarray(data.clip), "iterations": sm.params.iterations, "step": ev["tgsm_step"]}


def predictions(model, images):
    return predict_logits(model, torch.as_tensor(images, device=device)).argmax(-1).cpu().numpy()


for name, model in models.items():
    adv = iterated_tgsm(model, x, targets, step=ev["tgsm_step"], iterations=sm.params.iterations, clip=data.clip)
    out[f"{name}_tgsm"] = adv.reshape(len(rows), 10, -1)
    out[f"{name}_tgsm_pred"] = predictions(model, adv).reshape(len(rows), 10)
    if sm.params.jsma:
        adv, _ = jsma(model, x, targets, theta=ev["jsma_theta"], gamma=ev["jsma_gamma"], clip=data.clip)
        out[f"{name}_jsma"] = adv.reshape(len(rows), 10, -1)
        out[f"{name}_jsma_pred"] = predictions(model, adv).reshape(len(rows), 10)
write_npz(sm.output[0], code=sm.params.code, **out)
