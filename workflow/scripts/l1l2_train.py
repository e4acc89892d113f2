"""Train the VGG-style nets of one input-gradient norm (none, l1_norm, l2_norm) for every seed and λ (thesis Fig. 23).

Objective: mean cross-entropy + λ · mean_n ‖∇_x CE_n‖ (L1: Σ|·|, L2: Σ(·)²), i.e. double
backpropagation with either norm. The L1 nets use ``l1_norm_factor`` × λ so that both penalties have
similar magnitudes (the thesis multiplies λ by 100 under its own normalization).
"""

import torch

from rrr.pipeline.jobs import load_npz, start_job, write_json
from rrr.progress import log_progress
from rrr.extras.hessian import fit_input_penalty
from rrr.models import pack_states, save_tensors
from rrr.training import accuracy
from rrr.extras.vgg import vgg
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
cfg, norm = sm.params.cfg, sm.wildcards.norm
d = load_npz(sm.input.data)
X, Xt = torch.tensor(d["X"] / 255.0, dtype=torch.float32), torch.tensor(d["Xt"] / 255.0, dtype=torch.float32)
y, yt = torch.tensor(d["y"]), torch.tensor(d["yt"])
n_classes, (channels, side) = int(y.max()) + 1, X.shape[1:3]
axis = [0.0] if norm == "none" else [float(v) for v in cfg["lambdas"]]
scale = cfg["l1_norm_factor"] if norm == "l1_norm" else 1.0
entries, metrics = (
    [],
    {"norm": norm, "lambdas": axis, "lambda_scale": scale, "seeds": cfg["seeds"], "train_seconds": 0.0},
)
for lam in axis:
    for s in cfg["seeds"]:
        model = vgg(cfg["arch"], channels, n_classes, side, seed=s).to(device)
        model, history = fit_input_penalty(
            model, X, y, penalty=norm, lam=scale * lam, output="loss", seed=s, **cfg["train"], callback=progress
        )
        metrics["train_seconds"] += history.seconds
        model = model.cpu()  # back on the CPU: gradients and files as before
        entries.append({"seed": s, "lambda": lam, "state_dict": model.state_dict()})
        for name, value in (
            ("clean_accuracy", accuracy(model, Xt, yt)),
            ("final_penalty", history.penalty[-1]),
            ("final_cross_entropy", history.cross_entropy[-1]),
        ):
            metrics.setdefault(f"{name}_lam{lam:g}", []).append(float(value))
save_tensors(  # the nets' weights, and beside them (<norm>.pt.json) what rebuilds them
    sm.output.models,
    pack_states([e.pop("state_dict") for e in entries]),
    arch=cfg["arch"],
    channels=int(channels),
    side=int(side),
    n_classes=n_classes,
    norm=norm,
    lambda_scale=scale,
    entries=entries,
    code=sm.params.code,
)
write_json(metrics, sm.output.metrics)
