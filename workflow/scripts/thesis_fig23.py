"""Thesis Figure 23: L1 vs L2 input-gradient regularization against white-box and transferred FGSM."""

from rrr.pipeline.jobs import read_json, start_job
from rrr.plots import save_figure, use_style
from rrr.plots.thesis_extras import l1l2_attack_figure

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
cfg = sm.params.cfg
clean = {read_json(p)["norm"]: read_json(p) for p in sm.input.clean}
names = {"cifar10": "CIFAR-10", "fashion_mnist": "Fashion-MNIST", "mnist": "MNIST"}
arch = "VGG-16" if cfg["arch"] == "vgg16" else "a small VGG-style net (conv 16-16-pool-32-32-pool, dense 128)"
title = f"Thesis Fig. 23 setting: {arch} on {names[cfg['dataset']]}, {cfg['n_train']} training images"
if (cfg["dataset"], cfg["arch"]) != ("cifar10", "vgg16"):
    title += "\n(offline substitute for the thesis's VGG-16 on CIFAR-10)"
fig = l1l2_attack_figure(read_json(sm.input.metrics), clean, title, cfg["l1_norm_factor"])
save_figure(fig, sm.output[0], sm.output[1])
