"""Images for the L1-vs-L2 defence (thesis Fig. 23): a seeded subset of the train and test splits,
uint8 (N, C, H, W). The thesis used CIFAR-10; offline runs use an MNIST-format dataset."""

from pathlib import Path

import numpy as np

from rrr.data.cifar10 import load_cifar10
from rrr.data.decoy_mnist import load_mnist
from rrr.pipeline.jobs import start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
raw = Path(sm.input[0])
if sm.params.dataset == "cifar10":
    X, y, Xt, yt = load_cifar10(raw)
else:  # mnist, fashion_mnist: the same IDX layout
    X, y, Xt, yt = load_mnist(raw)
    X, Xt = X.reshape(-1, 1, 28, 28), Xt.reshape(-1, 1, 28, 28)
rng = np.random.default_rng(sm.params.seed)
train = rng.permutation(len(y))[: sm.params.n_train]
test = rng.permutation(len(yt))[: sm.params.n_test]
write_npz(sm.output[0], code=sm.params.code, X=X[train], y=y[train], Xt=Xt[test], yt=yt[test])
