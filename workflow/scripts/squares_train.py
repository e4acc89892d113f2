"""Classifiers on the squares toy (thesis Fig. 25), one per seed.

normal: a one-hidden-layer MLP on pixels (the thesis's "normal" model) and, as a control, the
same on the frozen autoencoder's latent codes. diverse: pairs of MLPs on the latent codes trained
jointly with the cos² penalty on their latent gradients, restricted to the two disentangled
latents (size, shade) as the dSprites notebook masks its slack latents (reference §6).
"""

import numpy as np
import torch

import rrr
from rrr.extras.autoencoder import ConvAutoencoder
from rrr.extras.diverse import gradient_cosines, train_diverse_models
from rrr.pipeline.jobs import load_npz, save_torch, start_job, write_json
from rrr.progress import log_progress
from rrr.models import load_tensors
from rrr.models import smooth_mlp
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
cfg, kind = sm.params.cfg, sm.wildcards.kind
d = load_npz(sm.input.data)
state, saved = load_tensors(sm.input.autoencoder)  # weights_only: no pickled code runs
ae = ConvAutoencoder(**saved["config"])
ae.load_state_dict(state)
splits = ("train", "test_size", "test_color")
pixels = {s: torch.tensor(d[s].reshape(len(d[s]), -1)) for s in splits}
codes = {s: ae.codes(d[s]) for s in splits}
labels = {s: torch.tensor(d[f"{s}_labels"]) for s in splits}
n_latent = codes["train"].shape[1]
mask = torch.zeros(n_latent)
mask[: saved["config"]["n_supervised"]] = 1.0
metrics, states = {"seeds": cfg["seeds"], "kind": kind}, []


def record(prefix: str, model: torch.nn.Module, inputs: dict) -> None:
    for s in splits:
        metrics.setdefault(f"{prefix}_{s}_accuracy", []).append(float(rrr.accuracy(model, inputs[s], labels[s])))


train = cfg[kind]
for seed in cfg["seeds"]:
    if kind == "normal":
        for prefix, inputs, net in (
            ("pixel", pixels, rrr.mlp(pixels["train"].shape[1], 2, (cfg["hidden"],), seed=seed, init_std=None)),
            ("latent", codes, smooth_mlp(n_latent, 2, (cfg["hidden"],), seed=seed)),
        ):
            (net,), _ = train_diverse_models(
                [net.to(device)],
                inputs["train"],
                labels["train"],
                lambda_overlap=0.0,
                seed=seed,
                epochs=train["epochs"],
                batch_size=train["batch_size"],
                lr=train["lr"],
                callback=progress,
            )
            net = net.cpu()  # back on the CPU: gradients and files as before
            record(prefix, net, inputs)
            states.append({"seed": seed, "model": prefix, "state_dict": net.state_dict()})
    else:
        pair = [smooth_mlp(n_latent, 2, (cfg["hidden"],), seed=1000 * seed + i).to(device) for i in range(2)]
        pair, history = train_diverse_models(
            pair,
            codes["train"],
            labels["train"],
            lambda_overlap=train["lambda_overlap"],
            mask=mask,
            epochs=train["epochs"],
            batch_size=train["batch_size"],
            lr=train["lr"],
            seed=seed,
            callback=progress,
        )
        pair = [m.cpu() for m in pair]  # back on the CPU: gradients and files as before
        # Name the pair's members by the test split each does better on.
        size_first = rrr.accuracy(pair[0], codes["test_size"], labels["test_size"]) >= rrr.accuracy(
            pair[1], codes["test_size"], labels["test_size"]
        )
        size_model, color_model = pair if size_first else pair[::-1]
        record("size_model", size_model, codes)
        record("color_model", color_model, codes)
        metrics.setdefault("abs_cos", []).append(
            float(np.abs(gradient_cosines(pair, codes["train"], mask=mask)).mean())
        )
        states.append(
            {"seed": seed, "model": "pair", "state_dicts": [size_model.state_dict(), color_model.state_dict()]}
        )
save_torch({"hidden": cfg["hidden"], "n_latent": n_latent, "entries": states}, sm.output.models, code=sm.params.code)
write_json(metrics, sm.output.metrics)
