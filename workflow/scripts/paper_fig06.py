"""Figure 6: a Decoy-MNIST prediction fooled by the swatch, explained by input gradients and LIME."""

import numpy as np

from rrr.plots import save_figure, use_style
from rrr.plots.decoy_mnist import fooled_example_figure
from rrr.jobs import log_to

sm = snakemake  # noqa: F821 (injected by Snakemake)
log_to(sm.log[0])
use_style()
save_figure(fooled_example_figure(dict(np.load(sm.input[0]))), sm.output[0], sm.output[1])
