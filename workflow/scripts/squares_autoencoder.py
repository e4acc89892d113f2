"""Train the supervised-disentangled convolutional autoencoder of the squares toy (thesis Fig. 25),
latent 0 = square size, latent 1 = background shade, the rest free; it is frozen afterwards."""

import torch

from rrr.extras.autoencoder import ConvAutoencoder, factor_correlations, fit_autoencoder
from rrr.data.squares import FACTORS
from rrr.pipeline.jobs import load_npz, start_job, write_json
from rrr.progress import log_progress
from rrr.models import save_tensors
from rrr.validation import resolve_device

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads, record=sm.output.record)
device = resolve_device(sm.params.device)  # config `device`; a clear error here when CUDA is absent
progress = log_progress()  # one line per epoch in this job's log (tail -f it)
cfg = sm.params.cfg
d = load_npz(sm.input.data)
supervised = [FACTORS.index("size"), FACTORS.index("shade")]
side = d["ae"].shape[-1]
torch.manual_seed(cfg["seed"])
ae = ConvAutoencoder(side, cfg["n_latent"], len(supervised), cfg["channels"]).to(device)
ae, history = fit_autoencoder(
    ae,
    d["ae"],
    d["ae_factors"][:, supervised],
    epochs=cfg["epochs"],
    batch_size=cfg["batch_size"],
    lr=cfg["lr"],
    supervision_weight=cfg["supervision_weight"],
    seed=cfg["seed"],
    callback=progress,
)
ae = ae.cpu()  # back on the CPU: gradients and files as before
z = ae.codes(d["ae_test"])
with torch.no_grad():
    recon = ae.decode(z)
corr = factor_correlations(z, d["ae_test_factors"])
save_tensors(sm.output.model, ae.state_dict(), config=ae.config, code=sm.params.code)  # + autoencoder.pt.json
write_json(
    {
        "train_seconds": history.seconds,
        "reconstruction_mse": history.reconstruction,
        "supervision_mse": history.supervision,
        "heldout_reconstruction_mse": float(((recon - torch.tensor(d["ae_test"])) ** 2).mean()),
        "factors": list(FACTORS),
        "latent_factor_abs_correlation": corr.tolist(),
        "size_latent_size_correlation": [float(corr[0, FACTORS.index("size")])],
        "shade_latent_shade_correlation": [float(corr[1, FACTORS.index("shade")])],
    },
    sm.output.metrics,
)
