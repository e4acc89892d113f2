"""The squares toy (thesis Fig. 25): an unlabelled pool with independent factors for the
autoencoder (plus a held-out part), and the confounded train split with its two decoupled test splits."""

import numpy as np

from rrr.data.squares import FACTORS, make_squares, make_unlabelled_squares
from rrr.pipeline.jobs import start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
p = sm.params
seed = p.seed
arrays = {}
for name, n, offset in (("ae", p.n_autoencoder, 0), ("ae_test", p.n_test, 1)):
    images, factors = make_unlabelled_squares(n, seed=seed * 100 + offset)
    arrays[name] = images
    arrays[f"{name}_factors"] = np.stack([factors[f] for f in FACTORS], axis=1).astype(np.float32)
for split, n, offset in (("train", p.n_train, 2), ("test_size", p.n_test, 3), ("test_color", p.n_test, 4)):
    images, labels, factors = make_squares(n, split, seed=seed * 100 + offset)
    arrays[split], arrays[f"{split}_labels"] = images, labels
    arrays[f"{split}_factors"] = np.stack([factors[f] for f in FACTORS], axis=1).astype(np.float32)
write_npz(sm.output[0], code=sm.params.code, factor_names=np.array(FACTORS), **arrays)
