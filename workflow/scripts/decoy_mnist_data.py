"""Build Decoy MNIST from the verified MNIST idx files (optionally a first-n subset for small profiles)."""

from pathlib import Path

import numpy as np

from rrr.data.decoy_mnist import make_decoy_mnist
from rrr.jobs import log_to

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
data = make_decoy_mnist(Path(sm.input[0]), seed=sm.params.seed)
n_train, n_test = sm.params.n_train, sm.params.n_test
for key in ("Xr", "X", "y", "E"):
    data[key] = data[key][:n_train]
for key in ("Xtr", "Xt", "yt", "Et"):
    data[key] = data[key][:n_test]
tmp = Path(sm.output[0]).with_suffix(".tmp.npz")
np.savez_compressed(tmp, **data)
tmp.replace(sm.output[0])
