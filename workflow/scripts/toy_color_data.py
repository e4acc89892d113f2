"""Toy Color (reference §1.1): independent train and test sets from rrr.data.generate_toy_color."""



from rrr.data import generate_toy_color
from rrr.pipeline.jobs import start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
X, y = generate_toy_color(sm.params.n_train, seed=sm.params.train_seed)
Xt, yt = generate_toy_color(sm.params.n_test, seed=sm.params.test_seed)
write_npz(sm.output[0], code=sm.params.code, X=X, y=y, Xt=Xt, yt=yt)
