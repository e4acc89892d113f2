"""Figure 6: a Decoy-MNIST prediction fooled by the swatch, explained by input gradients and LIME."""


from rrr.plots import save_figure, use_style
from rrr.plots.decoy_mnist import fooled_example_figure
from rrr.pipeline.jobs import load_npz, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
use_style()
save_figure(fooled_example_figure(dict(load_npz(sm.input[0]))), sm.output[0], sm.output[1])
