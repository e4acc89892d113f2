"""Draw n random 2/3-1/3 Iris-Cancer splits, stacked: Xtr (S,67,34), Xte, Xte_out (Iris zeroed), ytr, yte."""


import numpy as np

from rrr.data.iris_cancer import iris_cancer_splits, iris_out, load_iris_cancer
from rrr.pipeline.jobs import start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
splits = iris_cancer_splits(sm.params.n_splits, sm.params.seed)
splits["Xte_out"] = np.stack([iris_out(x) for x in splits["Xte"]])
write_npz(sm.output[0], code=sm.params.code, **splits, feature_names=np.array(load_iris_cancer()[2]))
