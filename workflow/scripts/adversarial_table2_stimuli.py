"""Stimuli of the thesis's human study (Table 2, App. G.2.2) for one dataset, so a lab can rerun it.

For each model and original class, the first `per_class` test images of that class are attacked
towards each of the 9 other classes (JSMA on MNIST, iterated TGSM on SVHN); among the examples the
model indeed assigns to their target, one is drawn uniformly at random. The 10 × n_models stimuli
are shown in a random order. Written: stimulus-NN.png (in presentation order), answer_key.csv (what
each stimulus is; keep it from the subjects), answer_sheet.csv (to fill in: most and second-most
plausible label, or N/A) and stimuli.npz (the images).
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from rrr.adversarial.attacks import iterated_tgsm, jsma
from rrr.adversarial.cnn import load_cnns, resolve_device
from rrr.data.adversarial import CLASS_NAMES, AdversarialData, first_of_each_class
from rrr.adversarial.defenses import predict_logits
from rrr.atomic import atomic_path
from rrr.pipeline.jobs import start_job, write_csv, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
ev, p = sm.params.evaluation, sm.params
device = resolve_device(p.device)
data = AdversarialData.load(sm.input.data)
models = load_cnns(p.models, sm.input.models, device)
rng = np.random.default_rng(p.seed)
rows = first_of_each_class(data.yt, p.per_class)
pairs = [(r, t) for r in rows for t in range(10) if t != data.yt[r]]
index, targets = np.array([r for r, _ in pairs]), np.array([t for _, t in pairs])
x = data.Xt[index]
chosen = []
for name, model in models.items():
    if p.attack == "jsma":
        adv, _ = jsma(model, x, targets, theta=ev["jsma_theta"], gamma=ev["jsma_gamma"], clip=data.clip)
    else:
        adv = iterated_tgsm(model, x, targets, step=ev["tgsm_step"], iterations=p.iterations, clip=data.clip)
    pred = predict_logits(model, torch.as_tensor(adv, device=device)).argmax(-1).cpu().numpy()
    for c in range(10):
        pool = np.flatnonzero((data.yt[index] == c) & (pred == targets))
        if len(pool) == 0:  # no successful example for this class: fall back to all, flagged in the key
            pool = np.flatnonzero(data.yt[index] == c)
        k = rng.choice(pool)
        chosen.append({"model": name, "original": int(c), "target": int(targets[k]), "test_index": int(index[k]),
                       "model_prediction": int(pred[k]), "attack_succeeded": bool(pred[k] == targets[k]),
                       "image": adv[k]})
order = rng.permutation(len(chosen))
out = Path(sm.output[0])
out.mkdir(parents=True, exist_ok=True)
names = CLASS_NAMES[data.source]
key = []
for position, k in enumerate(order, start=1):
    stim = chosen[k]
    img = np.kron(stim["image"].reshape(data.side, data.side), np.ones((8, 8)))
    with atomic_path(out / f"stimulus-{position:02d}.png") as tmp:
        plt.imsave(tmp, img, cmap="gray", vmin=data.clip[0], vmax=data.clip[1])
    key.append({"order": position, "file": f"stimulus-{position:02d}.png", "dataset": sm.wildcards.dataset,
                "attack": p.attack, **{k2: v for k2, v in stim.items() if k2 != "image"},
                "original_label": names[stim["original"]], "target_label": names[stim["target"]]})
write_csv(pd.DataFrame(key), out / "answer_key.csv", index=False)
sheet = pd.DataFrame({"subject": "", "dataset": sm.wildcards.dataset, "order": range(1, len(key) + 1),
                      "most_plausible": "", "second_most_plausible": ""})
write_csv(sheet, out / "answer_sheet.csv", index=False)
write_npz(out / "stimuli.npz", code=sm.params.code, images=np.stack([chosen[k]["image"] for k in order]), order=order)
