"""FGSM accuracy-loss matrices for the L1/L2 input-gradient-regularized nets (thesis Fig. 23).

For every seed, FGSM examples crafted against each model (rows: source) are scored by every
model (columns: target); the entry is the target's clean accuracy minus its accuracy on them.
Diagonal = white-box vulnerability, off-diagonal = transferability.
"""

import numpy as np
import pandas as pd
import torch

from rrr.pipeline.jobs import load_npz, start_job, write_csv, write_json
from rrr.models import load_tensors, unpack_states
from rrr.training import accuracy
from rrr.adversarial.attacks import fgsm
from rrr.extras.vgg import vgg

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
cfg = sm.params.cfg
d = load_npz(sm.input.data)
n = cfg["n_attacked"]
Xt, yt = torch.tensor(d["Xt"][:n] / 255.0, dtype=torch.float32), torch.tensor(d["yt"][:n])

models, labels = {}, []  # models[(norm, λ)][seed]
for path in sm.input.models:
    tensors, saved = load_tensors(path)  # weights_only: no pickled code runs
    for e, state in zip(saved["entries"], unpack_states(tensors), strict=True):
        net = vgg(saved["arch"], saved["channels"], saved["n_classes"], saved["side"])
        net.load_state_dict(state)
        key = (saved["norm"], float(e["lambda"]))
        if key not in models:
            labels.append(key)
        models.setdefault(key, {})[e["seed"]] = net.eval()

seeds = cfg["seeds"]
M = len(labels)
loss = np.zeros((len(seeds), M, M))
clean = np.zeros((len(seeds), M))
for i, s in enumerate(seeds):
    nets = [models[k][s] for k in labels]
    clean[i] = [accuracy(net, Xt, yt) for net in nets]
    for a, source in enumerate(nets):
        adversarial = fgsm(source, Xt, yt, cfg["epsilon"], clip=(0.0, 1.0))
        loss[i, a] = clean[i] - np.array([accuracy(net, adversarial, yt) for net in nets])

# A net that lost more than half of the unregularized net's clean accuracy (e.g. one driven to a constant
# output, whose input gradient is exactly 0) is no defence: the L1-vs-L2 summaries compare only the λ at
# which both norms' nets are useful (mean over seeds), against the unregularized net.
none = labels.index(("none", 0.0))
useful = clean.mean(axis=0) >= cfg["useful_fraction"] * clean[:, none].mean()
compared = [
    lam
    for k, lam in labels
    if k == "l1_norm"
    and useful[labels.index(("l1_norm", lam))]
    and ("l2_norm", lam) in labels
    and useful[labels.index(("l2_norm", lam))]
]
if not compared:
    raise ValueError(
        "No λ at which both the L1 and the L2 nets keep useful_fraction of the clean accuracy; "
        "lower thesis_extras.l1l2.lambdas or l1_norm_factor."
    )
names = [f"{k}_lam{lam:g}" for k, lam in labels]


def indices(norm: str) -> list[int]:
    return [labels.index((norm, lam)) for lam in compared]


def whitebox(norm: str) -> np.ndarray:
    """Mean white-box accuracy loss over one norm's compared nets, per seed."""
    idx = indices(norm)
    return loss[:, idx, idx].mean(axis=1)


def transfer(norm: str) -> np.ndarray:
    """Mean accuracy loss that FGSM examples crafted on one norm's compared nets cause in the other nets of
    that norm's matrix (the unregularized net and the other compared nets), per seed: off-diagonal rows."""
    idx = [none, *indices(norm)]
    pairs = [(a, b) for a in indices(norm) for b in idx if b != a]
    return np.mean([loss[:, a, b] for a, b in pairs], axis=0)


regularized_whitebox = (whitebox("l1_norm") + whitebox("l2_norm")) / 2
metrics = {
    "seeds": seeds,
    "epsilon": cfg["epsilon"],
    "n_attacked": n,
    "models": names,
    "accuracy_loss": loss.tolist(),
    "clean_accuracy": clean.tolist(),
    "useful_fraction": cfg["useful_fraction"],
    "collapsed_models": [name for name, ok in zip(names, useful) if not ok],
    "compared_lambdas": compared,
    "whitebox_loss_unregularized": loss[:, none, none].tolist(),
    "whitebox_loss_l1_norm": whitebox("l1_norm").tolist(),
    "whitebox_loss_l2_norm": whitebox("l2_norm").tolist(),
    "l2_norm_minus_l1_norm_whitebox": (whitebox("l2_norm") - whitebox("l1_norm")).tolist(),
    "transfer_loss_l1_norm": transfer("l1_norm").tolist(),
    "transfer_loss_l2_norm": transfer("l2_norm").tolist(),
    "l2_norm_minus_l1_norm_transfer": (transfer("l2_norm") - transfer("l1_norm")).tolist(),
    "unregularized_minus_regularized_whitebox": (loss[:, none, none] - regularized_whitebox).tolist(),
}
for j, name in enumerate(names):
    metrics[f"whitebox_loss_{name}"] = loss[:, j, j].tolist()
write_json(metrics, sm.output.metrics)
mean = pd.DataFrame(loss.mean(axis=0), index=pd.Index(names, name="source"), columns=names)
write_csv(mean, sm.output.matrix)
