"""Generate one 2D toy dataset (spec §1.5): two_class_2d or three_class_2d."""



from rrr.data import three_class_2d, two_class_2d
from rrr.pipeline.jobs import start_job, write_npz

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
make = two_class_2d if sm.wildcards.dataset == "two-class" else three_class_2d
X, y = make(n=sm.params.n, seed=sm.params.seed)
write_npz(sm.output[0], code=sm.params.code, X=X, y=y)
