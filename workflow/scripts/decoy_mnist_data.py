"""Build Decoy MNIST from the verified MNIST idx files (optionally a first-n subset for small profiles)."""

from pathlib import Path


from rrr.data.decoy_mnist import make_decoy_mnist
from rrr.pipeline.jobs import start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
data = make_decoy_mnist(Path(sm.input[0]), seed=sm.params.seed)
n_train, n_test = sm.params.n_train, sm.params.n_test
for key in ("Xr", "X", "y", "E"):
    data[key] = data[key][:n_train]
for key in ("Xtr", "Xt", "yt", "Et"):
    data[key] = data[key][:n_test]
write_npz(sm.output[0], code=sm.params.code, **data)
